export { ALL_TARGETS, allowSkips, defaultSuite, fixtureTolerance, loadSuite, parseSuite, resolveTolerance, skipAllowance, type Suite } from './suite.ts';
export { resolveDefaultSuite } from './default.ts';
