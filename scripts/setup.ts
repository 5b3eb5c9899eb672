// `npm run setup` (after `npm ci`): make sure a Python interpreter with torch exists. Where none can
// `import torch` and this is a Debian/Ubuntu machine we may administer, install Debian's
// python3-torch (without recommends: they drag in GTK and Qt). Say what was done either way.
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { findTorchPython, TORCH_INSTALL_HINT, TorchUnavailableError } from '../src/torch/index.ts';

/** Debian packages the bridge and the tests use: torch (with numpy), h5py to check .h5 files. */
const DEBIAN_PACKAGES = ['python3-torch', 'python3-h5py'];

async function probe(): Promise<string | null> {
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

async function run(command: string, args: string[]): Promise<void> {
  console.log(`setup: $ ${[command, ...args].join(' ')}`);
  await execa(command, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

async function installDebianTorch(): Promise<boolean> {
  if (!existsSync('/usr/bin/apt-get')) {
    console.log('setup: apt-get is not available on this machine, so torch cannot be installed automatically.');
    return false;
  }
  const root = process.getuid?.() === 0;
  const sudo = !root && (await execa('sudo', ['-n', 'true'], { reject: false })).exitCode === 0;
  if (!root && !sudo) {
    console.log('setup: installing with apt-get needs root (or passwordless sudo), which this user does not have.');
    return false;
  }
  const prefix = root ? [] : ['sudo', '-n'];
  const [command, ...rest] = [...prefix, 'apt-get'];
  await run(command!, [...rest, 'update', '-qq']);
  await run(command!, [...rest, 'install', '-y', '-qq', '--no-install-recommends', ...DEBIAN_PACKAGES]);
  return true;
}

if ((await probe()) === null) {
  console.log(`setup: no Python with torch found; trying Debian's ${DEBIAN_PACKAGES.join(', ')}`);
  if ((await installDebianTorch()) && (await probe()) !== null) {
    console.log('setup: done (torch installed from Debian packages).');
  } else {
    console.log(`setup: torch is still unavailable. ${TORCH_INSTALL_HINT}`);
    console.log('setup: golden-only workflows (npm start with committed goldens) work without torch; recording goldens and the bridge tests need it.');
  }
} else {
  console.log('setup: done (nothing to install).');
}
