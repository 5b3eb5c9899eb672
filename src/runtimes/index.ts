export type { Runner, RunnerInfo } from './runner.ts';
