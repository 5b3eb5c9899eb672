import { TargetUnavailableError, type Target } from './target.ts';

/** ONNX Runtime on the golden's torch.onnx.export: the route users would otherwise take, compared like the others. */
export function onnxTarget(options: { threads?: number } = {}): Target {
  return {
    name: 'onnx',
    async open(golden) {
      const { createOnnxRunner } = await import('../../runtimes/onnx/index.ts'); // loaded only when this target runs
      const onnx = golden.manifest.onnx;
      if ('error' in onnx) throw new TargetUnavailableError(`torch.onnx.export could not export this model when the golden was recorded: ${onnx.error}`);
      const runner = await createOnnxRunner(await golden.onnx(), { name: `${golden.manifest.name}/model.onnx`, ...(options.threads ? { threads: options.threads } : {}) });
      return { info: runner.info, run: (inputs) => runner.run(inputs), close: () => runner.dispose() };
    },
  };
}
