import type { TorchBridge } from '../../torch/index.ts';
import type { Target } from './target.ts';

/** The PyTorch reference re-run through the bridge with the golden's weights: the end-to-end wiring check. */
export function torchTarget(bridge: TorchBridge | null, unavailable = 'torch is not available'): Target {
  return {
    name: 'torch',
    ...(bridge ? {} : { unavailable }),
    async open(golden) {
      if (!bridge) throw new Error(unavailable);
      const versions = await bridge.versions();
      const fixture = await bridge.loadFixture(golden.fixturePath);
      await bridge.loadWeights(fixture, golden.weightsPath);
      return {
        info: { engine: 'torch', version: versions.torch, backend: 'cpu', threads: 0 },
        run: async (inputs) => (await bridge.run(fixture, inputs)).map((out) => out.tensor),
        close: () => bridge.unload(fixture),
      };
    },
  };
}
