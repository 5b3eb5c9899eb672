export {
  ALL_TARGETS,
  allowSkips,
  checkFixtureTolerance,
  defaultSuite,
  loadSuite,
  parseSuite,
  resolveTolerance,
  skipAllowance,
  type Suite,
} from './suite.ts';
export { resolveDefaultSuite } from './default.ts';
