// `npm run setup` (after `npm ci`): make sure what the workers and the tests need is on the machine.
// - .venv/ (git-ignored): a project-local Python environment with the exact packages of
//   scripts/requirements.txt: torch 2.x (CPU build) for the PyTorch reference, and Keras 3,
//   TensorFlow, ai-edge-litert for the TensorFlow-side targets. Re-running is quick: a stamp of the
//   requirements' hash says when nothing changed.
// - Debian's python3-torch (torch 1.13) at /usr/bin/python3, which users of Debian's torch run: a
//   test keeps the bridge working on it (src/torch/python.test.ts).
// - Chromium (the HTML report's screenshot test).
// On a Debian/Ubuntu machine we may administer, missing system pieces come from Debian's packages,
// installed without recommends (they drag in GTK and Qt). Says what was done, and how long it took.
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readConfig } from '../src/config/index.ts';
import { findTorchPython, PROJECT_VENV_PYTHON, TorchUnavailableError } from '../src/torch/index.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const VENV = `${ROOT}.venv`;
const REQUIREMENTS = `${ROOT}scripts/requirements.txt`;
const STAMP = `${VENV}/.torchport-requirements.sha256`;
const CHROMIUM = '/usr/bin/chromium';
const DEBIAN_PYTHON = '/usr/bin/python3';
const started = performance.now();

const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

async function run(command: string, args: string[]): Promise<void> {
  console.log(`setup: $ ${[command, ...args].join(' ')}`);
  await execa(command, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive', PIP_DISABLE_PIP_VERSION_CHECK: '1' } });
}

async function canImport(python: string, module: string): Promise<boolean> {
  return (await execa(python, ['-c', `import ${module}`], { reject: false, timeout: 120_000 })).exitCode === 0;
}

/** The base interpreter the venv is made from: TORCHPORT_BASE_PYTHON, else python3 on PATH. */
function basePython(): string {
  return readConfig().basePython;
}

async function ensureVenv(): Promise<void> {
  const requirements = readFileSync(REQUIREMENTS, 'utf8');
  const base = basePython();
  const baseVersion = (await execa(base, ['-c', 'import sys; print(sys.version)'], { reject: false })).stdout?.toString().trim();
  if (!baseVersion) {
    console.log(`setup: no ${base} to make .venv from: install Python 3.10+ (or set TORCHPORT_BASE_PYTHON); the torch / Keras / LiteRT-native targets will be skipped.`);
    return;
  }
  const stamp = createHash('sha256').update(requirements).update(baseVersion).digest('hex');
  if (existsSync(PROJECT_VENV_PYTHON) && existsSync(STAMP) && readFileSync(STAMP, 'utf8').trim() === stamp) {
    console.log(`setup: .venv is up to date with scripts/requirements.txt (${seconds(started)}).`);
    return;
  }
  const since = performance.now();
  if (!existsSync(PROJECT_VENV_PYTHON)) await run(base, ['-m', 'venv', VENV]);
  await run(PROJECT_VENV_PYTHON, ['-m', 'pip', 'install', '--quiet', '-r', REQUIREMENTS]);
  writeFileSync(STAMP, `${stamp}\n`);
  const versions = await execa(PROJECT_VENV_PYTHON, ['-m', 'pip', 'list', '--format=freeze'], { reject: false });
  const normalize = (line: string) =>
    line
      .split('==')[0]!
      .trim()
      .toLowerCase()
      .replace(/[-_.]+/g, '-');
  const pinned = new Set(
    requirements
      .split('\n')
      .filter((line) => line.includes('=='))
      .map(normalize),
  );
  const installed = String(versions.stdout)
    .split('\n')
    .filter((line) => pinned.has(normalize(line)));
  console.log(`setup: .venv made in ${seconds(since)} with ${installed.join(', ')}`);
}

async function aptInstall(packages: string[]): Promise<boolean> {
  if (!existsSync('/usr/bin/apt-get')) {
    console.log(`setup: apt-get is not available on this machine; install ${packages.join(', ')} by other means.`);
    return false;
  }
  const root = process.getuid?.() === 0;
  const sudo = !root && (await execa('sudo', ['-n', 'true'], { reject: false })).exitCode === 0;
  if (!root && !sudo) {
    console.log(`setup: installing ${packages.join(', ')} with apt-get needs root (or passwordless sudo), which this user does not have.`);
    return false;
  }
  const since = performance.now();
  const [command, ...prefix] = root ? ['apt-get'] : ['sudo', '-n', 'apt-get'];
  await run(command!, [...prefix, 'update', '-qq']);
  await run(command!, [...prefix, 'install', '-y', '-qq', '--no-install-recommends', ...packages]);
  console.log(`setup: installed ${packages.join(', ')} in ${seconds(since)}`);
  return true;
}

await ensureVenv();

const missing: string[] = [];
if (!(existsSync(DEBIAN_PYTHON) && (await canImport(DEBIAN_PYTHON, 'torch')))) missing.push('python3-torch');
if (!existsSync(CHROMIUM)) missing.push('chromium');
if (missing.length > 0) {
  console.log(`setup: missing ${missing.join(', ')} (Debian's torch 1.13 for the compatibility test; Chromium for the HTML report test); trying Debian's packages`);
  await aptInstall(missing);
  if (!existsSync(CHROMIUM)) console.log(`setup: no Chromium at ${CHROMIUM}: the HTML report's screenshot test will be skipped (set CHROMIUM_PATH to use another).`);
}

try {
  const found = await findTorchPython();
  console.log(`setup: the PyTorch reference is torch ${found.torchVersion} on Python ${found.pythonVersion} at ${found.executable}`);
} catch (error) {
  if (!(error instanceof TorchUnavailableError)) throw error;
  console.log(`setup: ${error.message}`);
  console.log('setup: golden-only workflows (npm start with committed goldens) work without torch; recording goldens and the bridge tests need it.');
}
console.log(`setup: done in ${seconds(started)}.`);
