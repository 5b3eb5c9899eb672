import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultSuite, onnxTarget, parseRunRecord, verifyModels, type RunRecord } from '../../harness/index.ts';

const goldenPath = (name: string): string => new URL(`../../../golden/${name}`, import.meta.url).pathname;

/** A real run of two committed goldens (seed_single_conv, resnet_basic_block) on ONNX Runtime, for re-judging. */
export async function recordOnnxRun(work: string, runId: string): Promise<{ record: RunRecord; runDir: string }> {
  const runDir = join(work, 'run');
  await verifyModels([{ golden: goldenPath('seed_single_conv') }, { golden: goldenPath('resnet_basic_block') }], {
    suite: defaultSuite(['onnx']),
    targets: [onnxTarget()],
    goldenRoot: goldenPath('.'),
    runDir,
    runId,
    ci: true,
    bridge: null,
    torch: null,
    torchUnavailable: 'not needed',
    cwd: work,
  });
  return { record: parseRunRecord(await readFile(join(runDir, 'run.json'), 'utf8'), 'run.json'), runDir };
}
