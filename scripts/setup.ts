// `npm run setup` (after `npm ci`): make sure what the bridge and the tests need is on the machine:
// a Python that can `import torch` (and h5py, to check .h5 files), and Chromium (the HTML report's
// screenshot test). On a Debian/Ubuntu machine we may administer, missing pieces come from Debian's
// packages, installed without recommends (they drag in GTK and Qt). Say what was done either way.
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { findTorchPython, TORCH_INSTALL_HINT, TorchUnavailableError } from '../src/torch/index.ts';

const CHROMIUM = '/usr/bin/chromium';

async function probeTorch(): Promise<string | null> {
  try {
    const found = await findTorchPython();
    console.log(`setup: torch ${found.torchVersion} on Python ${found.pythonVersion} at ${found.executable}`);
    return found.executable;
  } catch (error) {
    if (error instanceof TorchUnavailableError) {
      console.log(`setup: ${error.message.split('\n').slice(0, -1).join('\n')}`);
      return null;
    }
    throw error;
  }
}

async function hasModule(python: string, module: string): Promise<boolean> {
  return (await execa(python, ['-c', `import ${module}`], { reject: false, timeout: 60_000 })).exitCode === 0;
}

async function run(command: string, args: string[]): Promise<void> {
  console.log(`setup: $ ${[command, ...args].join(' ')}`);
  await execa(command, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
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
  const [command, ...prefix] = root ? ['apt-get'] : ['sudo', '-n', 'apt-get'];
  await run(command!, [...prefix, 'update', '-qq']);
  await run(command!, [...prefix, 'install', '-y', '-qq', '--no-install-recommends', ...packages]);
  return true;
}

let python = await probeTorch();
const missing: string[] = [];
if (!python) missing.push('python3-torch', 'python3-h5py');
else if (!(await hasModule(python, 'h5py'))) missing.push('python3-h5py');
if (!existsSync(CHROMIUM)) missing.push('chromium');

if (missing.length === 0) {
  console.log('setup: done (nothing to install).');
} else {
  console.log(`setup: missing ${missing.join(', ')}; trying Debian's packages`);
  await aptInstall(missing);
  python ??= await probeTorch();
  if (!python) {
    console.log(`setup: torch is still unavailable. ${TORCH_INSTALL_HINT}`);
    console.log('setup: golden-only workflows (npm start with committed goldens) work without torch; recording goldens and the bridge tests need it.');
  }
  if (!existsSync(CHROMIUM)) console.log(`setup: no Chromium at ${CHROMIUM}: the HTML report's screenshot test will be skipped (set CHROMIUM_PATH to use another).`);
  console.log('setup: done.');
}
