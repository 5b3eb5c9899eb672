export { createTfliteNativeRunner, type TfliteNativeRunner, type TfliteNativeRunnerOptions } from './runner.ts';
