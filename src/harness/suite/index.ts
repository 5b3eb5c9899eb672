export { ALL_TARGETS, SuiteFormatError, checkFixtureTolerance, defaultSuite, loadSuite, parseSuite, resolveTolerance, type FixtureOverrides, type Suite, type TargetTolerances } from './suite.ts';
