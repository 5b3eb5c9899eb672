// `torchport transfer`: the workflow for a user who wrote the Keras model by hand. PyTorch
// weights are copied into it by layer name (no Python involved) and the filled model is saved in
// both the TF.js layers format and Keras HDF5.
import { InvalidArgumentError, type Command } from 'commander';
import { mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { InputFileError, TorchportError, UsageError, isTorchportError } from '../../errors.ts';
import type { Tensor } from '../../tensor/index.ts';
import { readCheckpointFile, readSafetensorsFile } from '../../torch/index.ts';
import { writeFileAtomic } from '../../util/index.ts';
import { print, printError, type CliContext } from '../context.ts';

interface TransferFlags {
  weights: string;
  keras: string;
  out: string;
  strict: boolean;
  torchEpsilon?: number;
  torchPrefix?: string;
  moduleNames?: string;
  renamePrefix: string[];
  key?: string;
}

/** What the library's option names (in transfer's messages) are called on the command line. */
const CLI_NAMES_HINT =
  'from the command line: moduleNames is --module-names \'{"keras_layer": "torch.module"}\' (or a .json file) or --rename-prefix <keras prefix>=<torch prefix>; torchEpsilon is --torch-epsilon';

const TRANSFER_REPORT_NAME = 'transfer-report.json';
const H5_NAME = 'model.h5';

export function registerTransfer(program: Command, ctx: CliContext): void {
  program
    .command('transfer')
    .description('Copy PyTorch weights into a hand-written Keras model by layer name; write model.json + weights and model.h5.')
    .requiredOption('--weights <file>', 'PyTorch weights: a torch.save checkpoint (.pt/.pth, read safely: no pickle is executed) or .safetensors')
    .option('--key <key>', 'checkpoint entry holding the weights ("state_dict", "model/ema"; default: see docs/fixtures.md, "Reading checkpoints")')
    .requiredOption('--keras <file>', 'the Keras model: TF.js model.json, Keras model.to_json() output, or Keras .h5')
    .requiredOption('--out <dir>', 'directory for model.json, its weights, model.h5 and transfer-report.json')
    .option('--no-strict', 'fill the weights that fit and report the rest instead of failing (exit code 1 if anything is left)')
    .option('--torch-epsilon <eps>', 'eps the PyTorch BatchNorm/LayerNorm layers were built with (default 1e-5)', parseEpsilon)
    .option('--torch-prefix <prefix>', 'prefix of every PyTorch name, e.g. "module." for a DataParallel checkpoint')
    .option('--module-names <json>', 'Keras layer name -> PyTorch module path, for layers named differently: inline JSON (\'{"stem_conv": "stem.0"}\') or a .json file')
    .option('--rename-prefix <keras=torch>', 'Keras layers whose name starts with <keras> take the PyTorch module <torch> + the rest of the name (repeatable; --module-names wins)', collect, [])
    .action(async (flags: TransferFlags) => {
      ctx.exitCode = await runTransfer(ctx, flags);
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

async function readModuleNames(ctx: CliContext, value: string): Promise<Record<string, string>> {
  const inline = value.trimStart().startsWith('{');
  const where = inline ? '--module-names' : path.resolve(ctx.cwd, value);
  const text = inline
    ? value
    : await readFile(where, 'utf8').catch((error: Error) => {
        throw new InputFileError(where, `cannot be read (${error.message}); --module-names takes inline JSON or a .json file`, { cause: error });
      });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InputFileError(where, `is not JSON (${(error as Error).message})`, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || Object.values(parsed).some((v) => typeof v !== 'string')) {
    throw new InputFileError(where, 'must be a JSON object of Keras layer name -> PyTorch module path strings, e.g. {"stem_conv": "stem.0"}');
  }
  return parsed as Record<string, string>;
}

/** Keras layer name -> PyTorch module path from the prefix rules (longest Keras prefix first), then the explicit map. */
function moduleNameMap(layerNames: readonly string[], rules: readonly string[], explicit: Readonly<Record<string, string>>): Record<string, string> {
  const parsed = rules.map((rule) => {
    const at = rule.indexOf('=');
    if (at < 1) throw new UsageError(`--rename-prefix must be <keras prefix>=<torch prefix> (e.g. enc_=encoder.), got ${JSON.stringify(rule)}`);
    return { keras: rule.slice(0, at), torch: rule.slice(at + 1) };
  });
  parsed.sort((a, b) => b.keras.length - a.keras.length);
  const names: Record<string, string> = {};
  for (const layer of layerNames) {
    const rule = parsed.find((r) => layer.startsWith(r.keras));
    if (rule) names[layer] = rule.torch + layer.slice(rule.keras.length);
  }
  const unknown = Object.keys(explicit).filter((name) => !layerNames.includes(name));
  if (unknown.length) throw new UsageError(`--module-names names no layer of the Keras model: ${unknown.join(', ')} (its layers: ${layerNames.join(', ')})`);
  return { ...names, ...explicit };
}

function parseEpsilon(value: string): number {
  const epsilon = Number(value);
  if (!Number.isFinite(epsilon) || epsilon <= 0) throw new InvalidArgumentError('must be a positive number');
  return epsilon;
}

async function runTransfer(ctx: CliContext, flags: TransferFlags): Promise<0 | 1> {
  // tfjs and h5wasm load only when the command runs, so other commands start fast.
  const [{ saveKerasH5, saveTfjsLayersModel }, { formatTransferReport, transferWeights }, { describeTfjsBackend, initTfjsBackend }] = await Promise.all([
    import('../../keras/io/index.ts'),
    import('../../keras/transfer/index.ts'),
    import('../../runtimes/tfjs/index.ts'),
  ]);
  const weightsPath = path.resolve(ctx.cwd, flags.weights);
  const kerasPath = path.resolve(ctx.cwd, flags.keras);
  const outDir = path.resolve(ctx.cwd, flags.out);
  const backend = await initTfjsBackend(ctx.config.tfjsBackend);
  const explicitNames = flags.moduleNames ? await readModuleNames(ctx, flags.moduleNames) : {};
  const stateDict = await loadStateDict(weightsPath, flags.key);
  const model = await loadKerasModel(kerasPath);
  try {
    const moduleNames = moduleNameMap(
      model.layers.map((l) => l.name),
      flags.renamePrefix,
      explicitNames,
    );
    const report = transferWithHint(() =>
      transferWeights(stateDict, model, {
        strict: flags.strict,
        ...(Object.keys(moduleNames).length > 0 && { moduleNames }),
        ...(flags.torchEpsilon !== undefined && { torchEpsilon: flags.torchEpsilon }),
        ...(flags.torchPrefix !== undefined && { torchPrefix: flags.torchPrefix }),
      }),
    );
    await mkdir(outDir, { recursive: true });
    const saved = await saveTfjsLayersModel(model, outDir);
    const h5Path = path.join(outDir, H5_NAME);
    await saveKerasH5(model, h5Path);
    const reportPath = path.join(outDir, TRANSFER_REPORT_NAME);
    await writeFileAtomic(reportPath, `${JSON.stringify({ weights: weightsPath, keras: kerasPath, backend: backend.kind, ...report }, null, 2)}\n`);

    print(ctx, `tfjs backend: ${describeTfjsBackend(backend)}`);
    print(ctx, formatTransferReport(report));
    print(ctx, `wrote ${saved.modelJsonPath} (+ ${path.basename(saved.weightsPath)}, ${saved.weightBytes} bytes), ${h5Path}, ${reportPath}`);
    if (report.problems.length > 0) {
      printError(ctx, `torchport: ${report.problems.length} problem(s) left in a non-strict transfer; the saved model is not a faithful port (${CLI_NAMES_HINT})`);
      return 1;
    }
    return 0;
  } finally {
    model.dispose();
  }
}

/** A failed strict transfer, its message followed by the command-line names of the options it advises. */
class TransferFailedError extends TorchportError {
  readonly code = 'E_TRANSFER';
}

function transferWithHint<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (isTorchportError(error) && error.code === 'E_TRANSFER') throw new TransferFailedError(`${error.message}\n(${CLI_NAMES_HINT})`, { cause: error });
    throw error;
  }
}

/**
 * Reads a PyTorch state_dict: safetensors, or a torch.save checkpoint (.pt/.pth, read by the
 * restricted unpickler: nothing in the file is ever executed). The single entry point for weights.
 */
async function loadStateDict(file: string, key?: string): Promise<Map<string, Tensor>> {
  try {
    if (!(await stat(file)).isFile()) throw new InputFileError(file, 'is not a file');
  } catch (error) {
    if (error instanceof InputFileError) throw error;
    throw new InputFileError(file, `cannot be read (${(error as Error).message})`, { cause: error });
  }
  if (path.extname(file).toLowerCase() === '.safetensors') return readSafetensorsFile(file).tensors;
  return readCheckpointFile(file, { where: file, ...(key ? { key } : {}) }).tensors;
}

async function loadKerasModel(file: string): Promise<tf.LayersModel> {
  const extension = path.extname(file).toLowerCase();
  const { loadKerasH5, loadTfjsLayersModel } = await import('../../keras/io/index.ts');
  if (extension === '.h5' || extension === '.hdf5') return loadKerasH5(file);
  if (extension === '.json') return loadTfjsLayersModel(file);
  if (extension === '.keras') {
    throw new InputFileError(file, 'the Keras 3 .keras (zip) format is not supported; save the model with model.save("model.h5") or model.to_json()');
  }
  throw new InputFileError(file, 'expected a TF.js model.json, a Keras model JSON (.json) or a Keras HDF5 file (.h5)');
}
