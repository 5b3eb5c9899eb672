// The Python interpreter that runs the model-family fixtures: TORCHPORT_PYTHON when it is set; otherwise the
// project's .venv (`npm run setup` installs timm and transformers from scripts/requirements.txt), or else a
// separate .venv-families beside it, whichever has both libraries. Probed without importing them (importing
// timm takes seconds).
import { execaSync } from 'execa';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const PROBE = 'import importlib.util as u, sys; sys.exit(0 if u.find_spec("timm") and u.find_spec("transformers") else 1)';

const hasFamilies = (python: string): boolean => existsSync(python) && execaSync(python, ['-c', PROBE], { reject: false, timeout: 60_000 }).exitCode === 0;

/** The interpreter for the family suite, or undefined when none of the candidates has timm and transformers. */
export function familyPython(root: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const chosen = env['TORCHPORT_PYTHON']?.trim();
  if (chosen) return chosen;
  return [join(root, '.venv', 'bin', 'python'), join(root, '.venv-families', 'bin', 'python')].find(hasFamilies);
}
