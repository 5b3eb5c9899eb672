// Parity suites as vitest tests: one test per fixture x target (plus one for the golden's own
// checks), judged by the same run/judge pipeline as `torchport verify`, asserted through the
// toMatchReference matcher. Each test file covers one fixture (suites/parity/<name>.test.ts), so
// `vitest --shard=i/n` spreads fixtures over machines; every file leaves its report piece in
// reports/vitest/ and `torchport report --merge reports/vitest` joins them.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfig } from '../../config/index.ts';
import { decodeNpy } from '../../tensor/index.ts';
import { TorchBridge, TorchUnavailableError, type BridgeVersions } from '../../torch/index.ts';
import { budgetAnswers, loadFloat64Outputs } from '../budget/index.ts';
import { MANIFEST_FILE, loadGolden, recordCommand } from '../../golden/index.ts';
import type { RunReport } from '../judge/index.ts';
import type { RunRecord } from '../run/index.ts';
import { parseSuite, skipAllowance, type Suite } from '../suite/index.ts';
import { availableTargetNames, createTargets } from '../targets/index.ts';
import { verifyModels } from '../verify/index.ts';
import { toMatchReference } from './matcher.ts';

expect.extend({ toMatchReference });

const PROJECT_ROOT = new URL('../../../', import.meta.url).pathname;
export const PARITY_REPORT_DIR = 'reports/vitest';

function loadSuiteSync(): Suite {
  const path = readConfig().suite ?? join(PROJECT_ROOT, 'suites', 'default.json');
  return parseSuite(JSON.parse(readFileSync(path, 'utf8')), path);
}

/** Declares the parity tests of one recorded fixture (golden/<model>/). */
export function parityTests(model: string): void {
  const suite = loadSuiteSync();
  const goldenDir = join(PROJECT_ROOT, 'golden', model);
  const targets = suite.targets.filter((t) => availableTargetNames().includes(t));

  describe(model, () => {
    let bridge: TorchBridge | null = null;
    let torch: BridgeVersions | null = null;
    let torchUnavailable: string | null = null;
    let work: string;
    let outcome: { record: RunRecord; report: RunReport } | undefined;

    beforeAll(async () => {
      if (!existsSync(join(goldenDir, MANIFEST_FILE))) return;
      work = await mkdtemp(join(tmpdir(), `parity-${model}-`));
      if (targets.includes('torch')) {
        bridge = new TorchBridge();
        try {
          torch = await bridge.versions();
        } catch (error) {
          if (!(error instanceof TorchUnavailableError)) throw error;
          await bridge.close();
          bridge = null;
          torchUnavailable = error.message;
        }
      }
      outcome = await verifyModels([{ golden: goldenDir }], {
        suite: { ...suite, targets },
        targets: createTargets(targets, { bridge, torchUnavailable }),
        goldenRoot: join(PROJECT_ROOT, 'golden'),
        runDir: join(work, 'run'),
        runId: `vitest-${model}`,
        ci: true, // tests never write goldens
        bridge,
        torch,
        torchUnavailable,
        cwd: PROJECT_ROOT,
      });
      await mkdir(join(PROJECT_ROOT, PARITY_REPORT_DIR), { recursive: true });
      await writeFile(join(PROJECT_ROOT, PARITY_REPORT_DIR, `${model}.json`), `${JSON.stringify(outcome.report, null, 1)}\n`);
    }, 600_000);

    afterAll(async () => {
      await bridge?.close();
      if (work) await rm(work, { recursive: true, force: true });
    });

    it('golden: recorded, intact, seeded inputs reproduce', () => {
      expect(existsSync(join(goldenDir, MANIFEST_FILE)), `no golden for ${model}; record it with \`${recordCommand(join(PROJECT_ROOT, 'suites/fixtures', `${model}.py`))}\``).toBe(true);
      const problems = outcome!.report.checks.filter((c) => !c.target && !c.pass).flatMap((c) => c.problems);
      expect(problems).toEqual([]);
    });

    for (const target of targets) {
      it(`${target} matches PyTorch`, async (ctx) => {
        if (!outcome) return ctx.skip();
        const record = outcome.record.models[0]!.targets.find((t) => t.target === target)!;
        if (record.skipped) {
          // A skip is green only where the suite declares it acceptable, with its reason.
          if (skipAllowance(suite, model, target) === null)
            throw new Error(`${model} / ${target} was skipped and the suite does not allow it (add it to "allowSkip" with the reason): ${record.skipped}`);
          return ctx.skip(record.skipped);
        }
        if (record.error) throw new Error(`${model} / ${target}: ${record.error}`);
        const golden = await loadGolden(goldenDir);
        const divergence = outcome.report.targets.find((t) => t.target === target)?.divergence;
        const rows = outcome.report.results.filter((r) => r.target === target);
        for (const seed of record.seeds) {
          expect.soft(seed.error, `${model} / ${target} / seed ${seed.seed} failed to run`).toBeUndefined();
          if (!seed.outputs) continue;
          const references = await golden.outputs(seed.seed);
          const float64 = await loadFloat64Outputs(golden.dir, golden.manifest.float64, seed.seed);
          for (const [i, output] of seed.outputs.entries()) {
            const actual = decodeNpy(await readFile(join(work, 'run', output.file)));
            const row = rows.find((r) => r.seed === seed.seed && r.output === output.name)!;
            expect.soft(actual).toMatchReference(references[i]!, row.tolerance, {
              outputScale: record.outputScales?.[i] ?? null,
              ...budgetAnswers(float64, golden.manifest, seed.seed, output.name),
              label: `${model} / ${target} / seed ${seed.seed} / ${output.name}`,
              ...(divergence ? { divergence } : {}),
            });
          }
        }
        const failedChecks = outcome.report.checks.filter((c) => c.target === target && !c.pass);
        expect.soft(failedChecks.map((c) => `${c.check}: ${c.problems.join('; ')}`)).toEqual([]);
        expect.soft(record.nondeterministic, `${target} gave different outputs on two identical runs`).toBeUndefined();
      });
    }
  });
}
