export { parityTests } from './parity.ts';
