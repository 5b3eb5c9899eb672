export { RUN_RECORD_FILE, verifyModels, type VerifyOptions } from './verify.ts';
