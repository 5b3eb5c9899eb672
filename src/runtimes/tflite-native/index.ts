export { createTfliteNativeRunner } from './runner.ts';
