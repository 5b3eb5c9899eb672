// Real Keras 3 (the project's .venv after `npm run setup`) on torchport's saved models.
import { execa } from 'execa';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKeras, toKerasLayout, type KerasConversion } from '../../convert/index.ts';
import { loadGolden } from '../../golden/index.ts';
import { saveKeras3, saveKerasH5 } from '../../keras/io/index.ts';
import { registerCustomLayers } from '../../keras/builder/index.ts';
import type { Tensor } from '../../tensor/index.ts';
import { createKerasRunner } from '../keras/index.ts';
import { TfWorker } from '../tf-worker/index.ts';
import { workerHas } from '../tf-worker/testing.ts';
import { createKerasPyRunner } from './index.ts';
import { atMost } from '../../../test/support/tolerance.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const worker = new TfWorker();
const python = worker.executable();
const available = await workerHas(worker, 'keras');
afterAll(() => worker.close());

/** Runs Python in `cwd` the way a user would, with nothing of torchport's on sys.path. */
const userPython = (code: string, cwd: string) => execa(python, ['-c', code], { cwd, reject: false, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' } });

describe.skipIf(!available)('torchport models in real Keras 3', () => {
  let dir: string;
  let conversion: KerasConversion;
  let inputs: Tensor[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keras-py-test-'));
    // A MobileNetV3 block: HardSwish, HardSigmoid, ConstantPadding; what Keras refused before.
    const golden = await loadGolden(join(ROOT, 'golden', 'mobilenet_v3_block'));
    conversion = await buildKeras(golden);
    inputs = toKerasLayout(await golden.inputs(golden.manifest.seeds[0]!), conversion.io.inputs);
    await saveKerasH5(conversion.model, join(dir, 'model.h5'));
  });
  afterAll(async () => {
    conversion?.model.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('loads with one import of the torchport_layers.py written beside model.h5 (and not without it); a twin for every TF.js layer', async () => {
    const without = await userPython('import keras; keras.models.load_model("model.h5")', dir);
    expect(without.exitCode).not.toBe(0);
    expect(String(without.stderr)).toMatch(/Unknown layer|Could not locate class|HardSwish/);
    const loaded = await userPython(
      [
        'import json, keras',
        'from torchport_layers import CUSTOM_OBJECTS',
        'keras.models.load_model("model.h5", custom_objects=CUSTOM_OBJECTS)',
        'import torchport_layers',
        'keras.models.load_model("model.h5")',
        'print(json.dumps(sorted(CUSTOM_OBJECTS)))',
      ].join('; '),
      dir,
    );
    expect(loaded.exitCode, String(loaded.stderr)).toBe(0);
    const python = JSON.parse(String(loaded.stdout).trim().split('\n').pop()!) as string[];
    // Every custom layer class the builder registers: src/keras/layers and the op families' own (src/keras/builder/ops).
    // Keras has its own Subtract layer with the same config.
    const tfjs = registerCustomLayers().filter((name) => name !== 'Subtract');
    expect(python).toEqual([...new Set(tfjs)].sort());
  });

  it("computes what the TF.js model computes, from model.h5 and from torchport's model.keras", async () => {
    const tfjs = await createKerasRunner(conversion.model, { disposeModel: false });
    const expected = await tfjs.run(inputs);
    await tfjs.dispose();
    await saveKeras3(conversion.model, join(dir, 'model.keras'));
    for (const file of ['model.h5', 'model.keras']) {
      const runner = await createKerasPyRunner(join(dir, file), { worker });
      try {
        expect(runner.info.engine).toBe('keras');
        expect(runner.info.backend).toBe('tensorflow');
        const [actual] = await runner.run(inputs);
        expect(actual!).toMatchReference(expected[0]!, atMost(1e-5));
      } finally {
        await runner.dispose();
      }
    }
  });
});
