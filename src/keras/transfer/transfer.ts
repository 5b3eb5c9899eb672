// Name-based weight transfer: Keras layer `L` is filled from the PyTorch tensors `L.<param>`,
// as its rule says (./rules.ts). Everything is checked before anything is written, so a strict transfer
// that fails leaves the model untouched.
import { tf } from '../../runtimes/tfjs/index.ts';
import { TorchportError } from '../../errors.ts';
import { Tensor as FloatTensor, isFloatDType, type Shape, type Tensor } from '../../tensor/index.ts';
import { describeLayout, expectedTorchShape, toKerasLayout, type WeightLayout } from './layouts.ts';
import { SUPPORTED_LAYER_CLASSES, ruleFor, ruleWeightName, type WeightRule } from './rules.ts';

/** PyTorch's default eps for BatchNorm and LayerNorm. */
const TORCH_DEFAULT_EPSILON = 1e-5;

export interface TransferOptions {
  /**
   * Strict (default): fail unless every Keras weight is filled, every PyTorch tensor is used
   * exactly once (or is a known inference-irrelevant buffer) and every checked hyperparameter
   * agrees. Non-strict: fill what fits, report the rest in `problems`.
   */
  readonly strict?: boolean;
  /** Keras layer name -> PyTorch module path, for layers whose names differ. */
  readonly moduleNames?: Readonly<Record<string, string>>;
  /** Prepended to every module path, e.g. "module." for a DataParallel checkpoint. */
  readonly torchPrefix?: string;
  /** The eps the PyTorch norm layers were built with: one value, or per module path (default 1e-5). */
  readonly torchEpsilon?: number | Readonly<Record<string, number>>;
  /**
   * Per Keras layer and weight: the PyTorch tensor (full state-dict name) and/or layout to use
   * instead of the rule's. For builders that know more than the layer classes say (the kernel
   * order of a Dense after a flatten, the source of a constant).
   */
  readonly overrides?: Readonly<Record<string, Readonly<Record<string, WeightOverride>>>>;
}

export interface WeightOverride {
  readonly tensor?: string;
  /** A second tensor (full state-dict name) added to the first: see WeightRule.plus. */
  readonly plus?: string;
  readonly layout?: WeightLayout;
}

export type TransferProblemCode =
  | 'E_TRANSFER_MISSING' // a Keras weight with no PyTorch tensor
  | 'E_TRANSFER_SHAPE' // shapes that no layout reconciles
  | 'E_TRANSFER_DTYPE' // a non-float tensor for a float weight
  | 'E_TRANSFER_UNUSED' // a PyTorch tensor no Keras weight took
  | 'E_TRANSFER_REUSED' // a PyTorch tensor two Keras weights took
  | 'E_TRANSFER_HYPERPARAM' // a setting that silently changes results
  | 'E_TRANSFER_UNSUPPORTED'; // a Keras layer class with weights torchport cannot map

export interface TransferProblem {
  readonly code: TransferProblemCode;
  /** The Keras layer concerned, when there is one. */
  readonly layer?: string;
  /** The PyTorch tensor concerned, when there is one. */
  readonly tensor?: string;
  readonly message: string;
}

export interface WeightAssignment {
  readonly layer: string;
  readonly layerClass: string;
  /** Keras weight name inside the layer: kernel, bias, gamma... */
  readonly weight: string;
  readonly tensor: string;
  readonly torchShape: Shape;
  readonly kerasShape: Shape;
  readonly layout: string;
}

export interface TransferReport {
  readonly strict: boolean;
  readonly assignments: readonly WeightAssignment[];
  /** PyTorch tensors deliberately not copied (num_batches_tracked, a zero bias Keras does without). */
  readonly ignored: ReadonlyArray<{ readonly tensor: string; readonly reason: string }>;
  /** PyTorch tensors no Keras weight took. */
  readonly unused: readonly string[];
  readonly problems: readonly TransferProblem[];
  readonly kerasWeightCount: number;
  readonly torchTensorCount: number;
}

/** A strict transfer found problems; the model was not modified. */
export class WeightTransferError extends TorchportError {
  readonly code = 'E_TRANSFER';
  constructor(readonly report: TransferReport) {
    const lines = report.problems.map((p) => `  [${p.code}] ${p.message}`);
    super(
      `weight transfer failed with ${report.problems.length} problem(s); the Keras model was left unchanged ` +
        `(strict mode: fix these, or transfer non-strictly to fill what fits):\n${lines.join('\n')}`,
    );
  }
}

interface PendingWrite {
  readonly variable: tf.LayerVariable;
  readonly value: Tensor<'float32'>;
}

/** Copies PyTorch parameters into a tfjs layers model by layer name; returns what was done. */
export function transferWeights(stateDict: ReadonlyMap<string, Tensor>, model: tf.LayersModel, options: TransferOptions = {}): TransferReport {
  const strict = options.strict ?? true;
  const prefix = options.torchPrefix ?? '';
  const assignments: WeightAssignment[] = [];
  const ignored: Array<{ tensor: string; reason: string }> = [];
  const problems: TransferProblem[] = [];
  const pending: PendingWrite[] = [];
  const takenBy = new Map<string, string>();
  const allNames = [...stateDict.keys()];
  let kerasWeightCount = 0;

  const take = (tensor: string, by: string, layer: string): boolean => {
    const previous = takenBy.get(tensor);
    if (previous !== undefined) {
      problems.push({ code: 'E_TRANSFER_REUSED', layer, tensor, message: `PyTorch tensor '${tensor}' would fill both ${previous} and ${by}; check moduleNames` });
      return false;
    }
    takenBy.set(tensor, by);
    return true;
  };

  for (const layer of leafLayers(model)) {
    const variables = layer.weights;
    if (variables.length === 0) continue;
    kerasWeightCount += variables.length;
    const layerClass = layer.getClassName();
    const rule = ruleFor(layer);
    if (!rule) {
      problems.push({
        code: 'E_TRANSFER_UNSUPPORTED',
        layer: layer.name,
        message: `Keras layer '${layer.name}' (${layerClass}) has weights but no PyTorch mapping exists for ${layerClass}; supported classes: ${SUPPORTED_LAYER_CLASSES.join(', ')}`,
      });
      continue;
    }
    const modulePath = prefix + (options.moduleNames?.[layer.name] ?? layer.name);
    const moduleTensors = allNames.filter((name) => (modulePath === '' ? !name.includes('.') : name.startsWith(`${modulePath}.`) && !name.slice(modulePath.length + 1).includes('.')));
    const kerasNames = new Set<string>();

    for (const variable of variables) {
      const weight = weightName(layer, variable);
      const ruleName = ruleWeightName(layerClass, weight);
      kerasNames.add(ruleName);
      const kerasShape = variable.shape as Shape; // weight shapes are always fully known
      const where = `Keras layer '${layer.name}' (${layerClass}) weight '${weight}' [${kerasShape.join(', ')}]`;
      const weightRule = rule.weights.find((r) => r.keras === ruleName);
      if (!weightRule) {
        problems.push({ code: 'E_TRANSFER_UNSUPPORTED', layer: layer.name, message: `${where}: no PyTorch parameter is known for this weight of ${layerClass}` });
        continue;
      }
      const override = options.overrides?.[layer.name]?.[weight];
      const tensorName = override?.tensor ?? tensorPath(modulePath, weightRule.torch);
      let torch = stateDict.get(tensorName);
      if (!torch) {
        problems.push(missingProblem(where, layer.name, tensorName, modulePath, moduleTensors, weightRule, allNames));
        continue;
      }
      // A tensor the builder named itself may fill several layers on purpose (a graph constant or a parameter
      // used directly in forward more than once: rotary embeddings' cos/sin tables multiply both q and k).
      const named = override?.tensor !== undefined;
      if (named) takenBy.set(tensorName, takenBy.get(tensorName) ?? `'${layer.name}/${weight}'`);
      else if (!take(tensorName, `'${layer.name}/${weight}'`, layer.name)) continue;
      if (!isFloatDType(torch.dtype) && !(weightRule.mask && torch.dtype === 'bool')) {
        problems.push({ code: 'E_TRANSFER_DTYPE', layer: layer.name, tensor: tensorName, message: `${where}: PyTorch tensor '${tensorName}' is ${torch.dtype}, not floating point` });
        continue;
      }
      const plusName = override?.plus ?? (weightRule.plus !== undefined ? tensorPath(modulePath, weightRule.plus) : undefined);
      if (plusName !== undefined) {
        const plus = stateDict.get(plusName);
        if (!plus || !isFloatDType(plus.dtype) || plus.shape.join() !== torch.shape.join()) {
          problems.push({
            code: 'E_TRANSFER_MISSING',
            layer: layer.name,
            tensor: plusName,
            message: `${where}: needs PyTorch tensor '${plusName}' [${torch.shape.join(', ')}] to add to '${tensorName}'${plus ? ` but it is ${plus.dtype} [${plus.shape.join(', ')}]` : ', which does not exist'}`,
          });
          continue;
        }
        if (!take(plusName, `'${layer.name}/${weight}'`, layer.name)) continue;
        const [a, b] = [torch.toFloat32().data, plus.toFloat32().data];
        torch = new FloatTensor(
          'float32',
          torch.shape,
          a.map((v, i) => v + b[i]!),
        );
      }
      const layout = override?.layout ?? (typeof weightRule.layout === 'function' ? weightRule.layout(layer) : weightRule.layout);
      const value = toKerasLayout(torch.toFloat32(), layout, kerasShape);
      if (!value) {
        problems.push({
          code: 'E_TRANSFER_SHAPE',
          layer: layer.name,
          tensor: tensorName,
          message:
            `${where} does not fit PyTorch tensor '${tensorName}' [${torch.shape.join(', ')}]: ` +
            `tried ${describeLayout(layout)}, which needs a PyTorch shape of ${expectedTorchShape(layout, kerasShape)}` +
            (rule.shapeHint?.(torch.shape, kerasShape) ? `; ${rule.shapeHint(torch.shape, kerasShape)}` : ''),
        });
        continue;
      }
      pending.push({ variable, value });
      assignments.push({
        layer: layer.name,
        layerClass,
        weight,
        tensor: plusName !== undefined ? `${tensorName} + ${plusName}` : tensorName,
        torchShape: torch.shape,
        kerasShape,
        layout: describeLayout(layout),
      });
    }

    // Parameters PyTorch has but the Keras layer was built without (useBias: false, scale: false...).
    for (const weightRule of rule.weights) {
      if (kerasNames.has(weightRule.keras)) continue;
      const tensorName = tensorPath(modulePath, weightRule.torch);
      const torch = stateDict.get(tensorName);
      if (!torch || !take(tensorName, `(absent) '${layer.name}/${weightRule.keras}'`, layer.name)) continue;
      if (weightRule.neutral !== undefined && isFloatDType(torch.dtype) && torch.toFloat32().data.every((v) => v === weightRule.neutral)) {
        ignored.push({ tensor: tensorName, reason: `all ${weightRule.neutral}, equivalent to the Keras layer's ${weightRule.flag}: false` });
        continue;
      }
      problems.push({
        code: 'E_TRANSFER_HYPERPARAM',
        layer: layer.name,
        tensor: tensorName,
        message: `Keras layer '${layer.name}' (${layerClass}) has no '${weightRule.keras}' weight but PyTorch has '${tensorName}'${weightRule.neutral !== undefined ? ` (not all ${weightRule.neutral})` : ''}: create the Keras layer with ${weightRule.flag ?? weightRule.keras}: true`,
      });
    }
    for (const param of rule.ignored ?? []) {
      const tensorName = tensorPath(modulePath, param);
      if (stateDict.has(tensorName) && take(tensorName, `(ignored) '${layer.name}'`, layer.name)) ignored.push({ tensor: tensorName, reason: 'not used at inference' });
    }
    const torchEpsilon = epsilonFor(options.torchEpsilon, modulePath);
    for (const check of rule.checks ?? []) {
      const problem = check(layer, { modulePath, torchEpsilon });
      if (problem) problems.push({ code: 'E_TRANSFER_HYPERPARAM', layer: layer.name, message: `Keras layer '${layer.name}' (${layerClass}) ${problem}` });
    }
  }

  const unused = allNames.filter((name) => !takenBy.has(name));
  if (strict && unused.length > 0) {
    for (const name of unused) {
      problems.push({ code: 'E_TRANSFER_UNUSED', tensor: name, message: `PyTorch tensor '${name}' [${stateDict.get(name)!.shape.join(', ')}] was not used by any Keras layer` });
    }
  }
  const report: TransferReport = { strict, assignments, ignored, unused, problems, kerasWeightCount, torchTensorCount: stateDict.size };
  if (strict && problems.length > 0) throw new WeightTransferError(report);

  for (const { variable, value } of pending) {
    tf.tidy(() => {
      variable.write(tf.tensor(value.data, [...value.shape], 'float32'));
    });
  }
  return report;
}

/** A human-readable summary, one line per fact worth reading. */
export function formatTransferReport(report: TransferReport): string {
  const lines = [
    `filled ${report.assignments.length} of ${report.kerasWeightCount} Keras weights from ${report.torchTensorCount} PyTorch tensors ` +
      `(${report.ignored.length} ignored, ${report.unused.length} unused)`,
  ];
  for (const entry of report.ignored) lines.push(`  ignored ${entry.tensor}: ${entry.reason}`);
  for (const name of report.unused) lines.push(`  unused ${name}`);
  for (const problem of report.problems) lines.push(`  [${problem.code}] ${problem.message}`);
  return lines.join('\n');
}

/** Layers that hold weights, looking inside nested models. */
function* leafLayers(model: tf.LayersModel): Generator<tf.layers.Layer> {
  for (const layer of model.layers) {
    if (layer instanceof tf.LayersModel) yield* leafLayers(layer);
    else yield layer;
  }
}

/** "kernel" for the variable "conv1/kernel" of layer "conv1" (tfjs may suffix `name`, never `originalName`). */
function weightName(layer: tf.layers.Layer, variable: tf.LayerVariable): string {
  const full = variable.originalName;
  if (full.startsWith(`${layer.name}/`)) return full.slice(layer.name.length + 1);
  return full.slice(full.lastIndexOf('/') + 1);
}

/** `conv1.weight`; a model that is itself one module (path "") has plain `weight`. */
function tensorPath(modulePath: string, param: string): string {
  return modulePath === '' ? param : `${modulePath}.${param}`;
}

function epsilonFor(option: TransferOptions['torchEpsilon'], modulePath: string): number {
  if (typeof option === 'number') return option;
  return option?.[modulePath] ?? TORCH_DEFAULT_EPSILON;
}

function missingProblem(where: string, layer: string, tensorName: string, modulePath: string, moduleTensors: readonly string[], weightRule: WeightRule, allNames: readonly string[]): TransferProblem {
  if (moduleTensors.length > 0 && weightRule.flag) {
    return {
      code: 'E_TRANSFER_HYPERPARAM',
      layer,
      tensor: tensorName,
      message: `${where}: PyTorch module '${modulePath}' has no '${weightRule.torch}' (it has ${moduleTensors.join(', ')}): create the Keras layer with ${weightRule.flag}: false`,
    };
  }
  const hint =
    moduleTensors.length > 0
      ? `module '${modulePath}' has ${moduleTensors.join(', ')}`
      : `no PyTorch module is named '${modulePath}' (the state dict has modules ${summarizeModules(allNames)}); map names with moduleNames if they differ`;
  return { code: 'E_TRANSFER_MISSING', layer, tensor: tensorName, message: `${where}: no PyTorch tensor '${tensorName}'; ${hint}` };
}

function summarizeModules(names: readonly string[]): string {
  const modules = [...new Set(names.map((n) => (n.includes('.') ? n.slice(0, n.lastIndexOf('.')) : n)))];
  const shown = modules.slice(0, 8).map((m) => `'${m}'`);
  return shown.join(', ') + (modules.length > shown.length ? `, ... (${modules.length} in all)` : '');
}
