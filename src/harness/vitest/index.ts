export { PARITY_REPORT_DIR, parityTests } from './parity.ts';
export { toMatchReference, type ReferenceContext } from './matcher.ts';
