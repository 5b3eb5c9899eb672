import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readConfig } from '../config/index.ts';
import { TorchportError } from '../errors.ts';

/** The environment variable that names the Python interpreter to use, before any search. */

/** The project's own environment, made by `npm run setup` (scripts/setup.ts) with pinned packages. */
export const PROJECT_VENV_PYTHON = fileURLToPath(new URL('../../.venv/bin/python', import.meta.url));

/**
 * Interpreters tried in order when TORCHPORT_PYTHON is not set: the project's .venv when it
 * exists, then the system's. On Debian the `python3` first on PATH may be a pyenv or venv without
 * torch while /usr/bin/python3 has Debian's python3-torch.
 */
const PYTHON_CANDIDATES = ['python3', '/usr/bin/python3', 'python'] as const;

export const TORCH_INSTALL_HINT =
  'Run `npm run setup` (it makes the project-local .venv with a pinned CPU build of torch), or install PyTorch for one of them ' +
  '(Debian/Ubuntu: `sudo apt-get install -y --no-install-recommends python3-torch`), or point TORCHPORT_PYTHON at an interpreter that has it.';

export class TorchUnavailableError extends TorchportError {
  readonly code = 'E_TORCH_UNAVAILABLE';
  constructor(readonly attempts: readonly PythonAttempt[]) {
    super(`no Python interpreter with torch was found. Tried:\n${attempts.map((a) => `  - ${a.executable}: ${a.problem}`).join('\n')}\n${TORCH_INSTALL_HINT}`);
  }
}

export interface PythonAttempt {
  readonly executable: string;
  readonly problem: string;
}

/** The interpreters to try, in order: TORCHPORT_PYTHON alone when it is set. */
export function pythonCandidates(chosen: string | undefined): string[] {
  if (chosen) return [chosen];
  return existsSync(PROJECT_VENV_PYTHON) ? [PROJECT_VENV_PYTHON, ...PYTHON_CANDIDATES] : [...PYTHON_CANDIDATES];
}

export interface TorchPython {
  readonly executable: string;
  readonly pythonVersion: string;
  readonly torchVersion: string;
}

const PROBE = 'import json, platform, torch; print(json.dumps({"python": platform.python_version(), "torch": torch.__version__}))';

/**
 * Finds an interpreter that can `import torch` (used by `npm run setup` and diagnostics; the
 * bridge does its own search so that torch is imported once, not twice).
 */
export async function findTorchPython(env: NodeJS.ProcessEnv = process.env): Promise<TorchPython> {
  const attempts: PythonAttempt[] = [];
  for (const executable of pythonCandidates(readConfig(env).python)) {
    const result = await execa(executable, ['-c', PROBE], { reject: false, timeout: 120_000, env, extendEnv: false });
    if (result.exitCode === 0) {
      try {
        const info = JSON.parse(String(result.stdout).trim().split('\n').pop() ?? '') as { python: string; torch: string };
        return { executable, pythonVersion: info.python, torchVersion: info.torch };
      } catch {
        attempts.push({ executable, problem: `unexpected output ${JSON.stringify(String(result.stdout).slice(0, 200))}` });
        continue;
      }
    }
    attempts.push({ executable, problem: describeProbeFailure(result) });
  }
  throw new TorchUnavailableError(attempts);
}

export function describeProbeFailure(result: { failed?: boolean; code?: string; timedOut?: boolean; stderr?: unknown; exitCode?: number }): string {
  if (result.code === 'ENOENT') return 'not found';
  if (result.timedOut) return 'timed out while importing torch';
  const stderr = String(result.stderr ?? '');
  if (/No module named ['"]?torch/.test(stderr)) return 'runs, but has no torch module';
  const last = stderr.trim().split('\n').pop();
  return last ? last : `exited with code ${result.exitCode}`;
}
