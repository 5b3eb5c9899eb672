import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defaultSuite, loadSuite, type Suite } from './suite.ts';

/** The project's own suite, used when a command names none. */
export const DEFAULT_SUITE_FILE = 'suites/default.json';

/**
 * The suite of a command that names none: the project's suites/default.json when the file exists
 * (a malformed one is a SuiteFormatError naming the file and the problem, never replaced by the
 * built-in defaults), else the built-in defaults over `targets`.
 */
export async function resolveDefaultSuite(projectDir: string, targets: readonly string[]): Promise<Suite> {
  const path = join(projectDir, DEFAULT_SUITE_FILE);
  return existsSync(path) ? loadSuite(path) : defaultSuite(targets);
}
