import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TorchportError } from '../../errors.ts';
import type { Tensor } from '../../tensor/index.ts';
import { readSafetensorsFile, type FixtureHandle, type TorchBridge } from '../../torch/index.ts';
import { recordCommand, type Golden } from '../../golden/index.ts';
import type { Target } from './target.ts';

/** build() no longer produces the golden's weights: a checkpoint it loads, a helper or the initialisation changed. */
export class StaleWeightsError extends TorchportError {
  readonly code = 'E_GOLDEN_STALE';
  override readonly exitCode = 1 as const;
}

/** The PyTorch reference re-run through the bridge with the golden's weights: the end-to-end wiring check. */
export function torchTarget(bridge: TorchBridge | null, unavailable = 'torch is not available'): Target {
  return {
    name: 'torch',
    ...(bridge ? {} : { unavailable }),
    async open(golden) {
      if (!bridge) throw new Error(unavailable);
      const versions = await bridge.versions();
      const fixture = await bridge.loadFixture(golden.fixturePath);
      try {
        await checkBuiltWeights(bridge, fixture, golden);
      } catch (error) {
        await bridge.unload(fixture).catch(() => undefined);
        throw error;
      }
      await bridge.loadWeights(fixture, golden.weightsPath);
      return {
        info: { engine: 'torch', version: versions.torch, backend: 'cpu', threads: 0 },
        run: async (inputs) => (await bridge.run(fixture, inputs)).map((out) => out.tensor),
        close: () => bridge.unload(fixture),
      };
    },
  };
}

/**
 * The weights build() produces today must be the golden's, bit for bit: otherwise what ships
 * (`convert` reads the golden's weights) is not what the fixture builds now.
 */
async function checkBuiltWeights(bridge: TorchBridge, fixture: FixtureHandle, golden: Golden): Promise<void> {
  const scratch = await mkdtemp(join(tmpdir(), 'torchport-weights-'));
  try {
    const path = join(scratch, 'built.safetensors');
    await bridge.saveStateDict(fixture, path);
    const [built, recorded] = await Promise.all([readSafetensorsFile(path), golden.weights()]);
    const differing = [...new Set([...built.tensors.keys(), ...recorded.keys()])].filter((name) => !sameTensor(built.tensors.get(name), recorded.get(name)));
    if (differing.length > 0) {
      const shown = differing.slice(0, 5).join(', ') + (differing.length > 5 ? `, and ${differing.length - 5} more` : '');
      throw new StaleWeightsError(
        `the weights build() produces today differ from golden ${golden.manifest.name}'s (${shown}): a checkpoint it loads, a module it imports or its initialisation changed since recording; ` +
          `re-record with \`${recordCommand(golden.fixturePath, golden.manifest.name)} --update\``,
      );
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function sameTensor(a: Tensor | undefined, b: Tensor | undefined): boolean {
  if (!a || !b || a.dtype !== b.dtype || a.shape.join() !== b.shape.join()) return false;
  const x = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  const y = new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}
