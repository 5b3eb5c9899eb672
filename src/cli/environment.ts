import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import { TorchBridge, TorchUnavailableError, type BridgeVersions } from '../torch/index.ts';
import { printError, type CliContext } from './context.ts';

export const DEFAULT_GOLDEN_DIR = 'golden';
export const DEFAULT_FIXTURES_DIR = 'suites/fixtures';
export const DEFAULT_REPORTS_DIR = 'reports';

export interface OpenedBridge {
  readonly bridge: TorchBridge | null;
  readonly versions: BridgeVersions | null;
  /** Why torch is unavailable (null when the bridge started). */
  readonly unavailable: string | null;
}

/**
 * Starts the PyTorch bridge when torch can be found; otherwise returns why not, so golden-only
 * work can go on without torch.
 */
export async function openBridge(ctx: CliContext): Promise<OpenedBridge> {
  const bridge = new TorchBridge({ env: ctx.env, config: ctx.config, onStderr: (line) => printError(ctx, `[python] ${line}`) });
  try {
    return { bridge, versions: await bridge.versions(), unavailable: null };
  } catch (error) {
    await bridge.close();
    if (error instanceof TorchUnavailableError) return { bridge: null, versions: null, unavailable: error.message };
    throw error;
  }
}

/** The fixtures to use: the given files, or every *.py in suites/fixtures. */
export async function resolveFixtures(ctx: CliContext, given: readonly string[]): Promise<string[]> {
  if (given.length > 0) {
    return given.map((path) => {
      if (!path.endsWith('.py')) throw new UsageError(`${path}: a fixture is a Python file (.py); see docs/fixtures.md`);
      return resolve(ctx.cwd, path);
    });
  }
  const dir = join(ctx.cwd, DEFAULT_FIXTURES_DIR);
  const entries = await readdir(dir).catch(() => {
    throw new UsageError(`no fixtures given and ${dir} does not exist; run from the project root or name fixture files`);
  });
  return entries
    .filter((name) => name.endsWith('.py') && !name.startsWith('_'))
    .sort()
    .map((name) => join(dir, name));
}
