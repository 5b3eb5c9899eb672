export {
  ALL_TARGETS,
  SuiteFormatError,
  allowSkips,
  checkFixtureTolerance,
  defaultSuite,
  loadSuite,
  parseSuite,
  resolveTolerance,
  skipAllowance,
  type FixtureOverrides,
  type SkipAllowances,
  type Suite,
  type TargetTolerances,
} from './suite.ts';
export { DEFAULT_SUITE_FILE, resolveDefaultSuite } from './default.ts';
