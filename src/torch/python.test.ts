// Interpreter discovery: the project's .venv (torch 2.x, made by `npm run setup`) first, and
// Debian's torch 1.13 (/usr/bin/python3) still a working reference when a user points at it.
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli/testing.ts';
import { readConfig } from '../config/index.ts';
import { PROJECT_VENV_PYTHON, pythonCandidates } from './index.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEBIAN_PYTHON = '/usr/bin/python3';

describe('pythonCandidates', () => {
  it('tries the project .venv before the system interpreters, and TORCHPORT_PYTHON alone when set', () => {
    const candidates = pythonCandidates(undefined);
    if (existsSync(PROJECT_VENV_PYTHON)) expect(candidates[0]).toBe(PROJECT_VENV_PYTHON);
    else expect(candidates).not.toContain(PROJECT_VENV_PYTHON);
    expect(candidates).toContain(DEBIAN_PYTHON);
    expect(pythonCandidates(readConfig({ TORCHPORT_PYTHON: ' /opt/py/bin/python ' }).python)).toEqual(['/opt/py/bin/python']);
  });
});

const debianTorch = existsSync(DEBIAN_PYTHON) ? String((await execa(DEBIAN_PYTHON, ['-c', 'import torch; print(torch.__version__)'], { reject: false })).stdout ?? '').trim() : '';

describe.skipIf(!debianTorch.startsWith('1.'))(`Debian's torch ${debianTorch} as the reference`, () => {
  it('re-runs a golden recorded on it through the bridge and matches (TORCHPORT_PYTHON=/usr/bin/python3)', async () => {
    const reports = await mkdtemp(join(tmpdir(), 'debian-torch-'));
    try {
      const result = await runCli(['verify', 'golden/resnet_basic_block', '--targets', 'torch', '--report', reports], { cwd: ROOT, env: { ...process.env, TORCHPORT_PYTHON: DEBIAN_PYTHON } });
      const report = JSON.parse(await readFile(join(reports, 'latest', 'report.json'), 'utf8')) as { environment: { torch: string }; summary: { passed: number; pass: boolean } };
      expect(report.environment.torch).toBe(debianTorch);
      expect(report.summary.pass).toBe(true);
      expect(report.summary.passed).toBeGreaterThan(0);
      expect(result.code).toBe(0);
    } finally {
      await rm(reports, { recursive: true, force: true });
    }
  });
});
