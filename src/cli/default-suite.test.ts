// One resolver for the suite a command uses when it names none (src/harness/suite/default.ts):
// the project's suites/default.json, else the built-in defaults. A malformed file is an error
// naming it; `report --from` used to swallow it and judge with the built-in defaults instead.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordOnnxRun } from '../report/testing/run.ts';
import { runCli } from './testing.ts';

describe('the default suite', () => {
  let work: string;
  let runJson: string;
  const cli = (argv: string[], cwd: string) => runCli(argv, { cwd, env: { ...process.env, CI: '' } });

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'default-suite-'));
    const { runDir } = await recordOnnxRun(work, 'default-suite');
    runJson = join(runDir, 'run.json');
  }, 120_000);
  afterAll(() => rm(work, { recursive: true, force: true }));

  it('is the built-in one in a project without suites/default.json', async () => {
    const project = await mkdtemp(join(work, 'bare-'));
    const result = await cli(['report', '--from', runJson, '--out', join(project, 'out')], project);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
  });

  it.each([
    ['not JSON', '{ "targets": [', /suites\/default\.json: not valid JSON/],
    ['an unknown field', '{ "tolerance": {} }', /suites\/default\.json: unknown field\(s\) tolerance/],
  ])('is an error naming the file when suites/default.json holds %s (report --from, verify)', async (_what, text, message) => {
    const project = await mkdtemp(join(work, 'broken-'));
    await mkdir(join(project, 'suites'));
    await writeFile(join(project, 'suites', 'default.json'), text);
    const report = await cli(['report', '--from', runJson, '--out', join(project, 'out')], project);
    expect(report.code).toBe(2);
    expect(report.err).toMatch(message);
    expect(report.err).toContain('[E_SUITE');
    const verify = await cli(['verify', new URL('../../golden/seed_single_conv', import.meta.url).pathname, '--targets', 'onnx', '--report', join(project, 'r')], project);
    expect(verify.code).toBe(2);
    expect(verify.err).toMatch(message);
  });
});
