export { ALL_TARGETS, SuiteFormatError, defaultSuite, loadSuite, parseSuite, resolveTolerance, type FixtureOverrides, type Suite, type TargetTolerances } from './suite.ts';
