// Kernels of tfjs-backend-wasm (4.22) that compute wrong results, replaced on that backend.
//
// Conv3DBackpropInputV2 (tf.conv3dTranspose, Keras Conv3DTranspose): the WebAssembly kernel's
// output differs from the cpu backend's, from TFLite's CONV_3D_TRANSPOSE and from PyTorch's
// ConvTranspose3d by the size of the values themselves (measured on a 2 x 3 x 3 x 2 input, 2 x 2 x
// 2 kernel, strides 1 and 2), while the cpu backend matches them to float rounding. The
// replacement is the direct scatter form, in JavaScript: slow on large volumes, but right.
//
// MaxPool3D (tf.maxPool3d, Keras MaxPooling3D): wrong for windows that are not the same on the
// three axes, e.g. 2 x 1 x 1 (max error 0.96 on standard-normal input against a direct
// computation, which the cpu backend matches exactly). Its AvgPool3D is right.
import * as tf from '@tensorflow/tfjs';

interface WasmBackend {
  readSync(dataId: unknown): Float32Array;
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

/** The 3-D window geometry both kernels read (tfjs's Conv3DInfo and its pooling counterpart). */
interface Window3D {
  readonly inDepth: number;
  readonly inHeight: number;
  readonly inWidth: number;
  readonly strideDepth: number;
  readonly strideHeight: number;
  readonly strideWidth: number;
  readonly filterDepth: number;
  readonly filterHeight: number;
  readonly filterWidth: number;
  readonly padInfo: { readonly front: number; readonly top: number; readonly left: number };
}

/**
 * Calls `visit` for each tap of the window at output position (yd, yh, yw) that falls inside the input
 * (padding contributes nothing): the input position flattened over depth, height and width of one sample,
 * and the tap's index in the filter's (depth, height, width) order.
 */
function forEachTap(info: Window3D, yd: number, yh: number, yw: number, visit: (position: number, tap: number) => void): void {
  const { inDepth, inHeight, inWidth, strideDepth, strideHeight, strideWidth, filterDepth, filterHeight, filterWidth } = info;
  const { front, top, left } = info.padInfo;
  for (let fd = 0; fd < filterDepth; fd++) {
    const xd = yd * strideDepth - front + fd;
    if (xd < 0 || xd >= inDepth) continue;
    for (let fh = 0; fh < filterHeight; fh++) {
      const xh = yh * strideHeight - top + fh;
      if (xh < 0 || xh >= inHeight) continue;
      for (let fw = 0; fw < filterWidth; fw++) {
        const xw = yw * strideWidth - left + fw;
        if (xw < 0 || xw >= inWidth) continue;
        visit((xd * inHeight + xh) * inWidth + xw, (fd * filterHeight + fh) * filterWidth + fw);
      }
    }
  }
}

interface Conv3DBackpropInputAttrs {
  readonly pad: 'valid' | 'same';
  readonly strides: [number, number, number] | number;
  readonly inputShape: [number, number, number, number, number];
}

function conv3dBackpropInput(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const { pad, strides, inputShape } = args.attrs as unknown as Conv3DBackpropInputAttrs;
  const backend = args.backend as WasmBackend;
  const info = tf.backend_util.computeConv3DInfo(inputShape, filter.shape as [number, number, number, number, number], strides, 1, pad);
  const dyData = backend.readSync(dy.dataId);
  const filterData = backend.readSync(filter.dataId);
  const out = backend.makeOutput([...info.inShape], 'float32');
  const dx = backend.typedArrayFromHeap(out);
  dx.fill(0);
  const { batchSize, inDepth, inHeight, inWidth, inChannels, outDepth, outHeight, outWidth, outChannels } = info;
  const sampleSize = inDepth * inHeight * inWidth;
  for (let b = 0; b < batchSize; b++)
    for (let yd = 0; yd < outDepth; yd++)
      for (let yh = 0; yh < outHeight; yh++)
        for (let yw = 0; yw < outWidth; yw++) {
          const dyBase = (((b * outDepth + yd) * outHeight + yh) * outWidth + yw) * outChannels;
          forEachTap(info, yd, yh, yw, (position, tap) => {
            const dxBase = (b * sampleSize + position) * inChannels;
            const filterBase = tap * inChannels * outChannels;
            for (let c = 0; c < inChannels; c++) {
              let sum = 0;
              for (let o = 0; o < outChannels; o++) sum += dyData[dyBase + o]! * filterData[filterBase + c * outChannels + o]!;
              dx[dxBase + c] = dx[dxBase + c]! + sum;
            }
          });
        }
  return out;
}

interface MaxPool3DAttrs {
  readonly filterSize: [number, number, number] | number;
  readonly strides: [number, number, number] | number;
  readonly pad: 'valid' | 'same' | number;
  readonly dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function maxPool3d(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as MaxPool3DAttrs;
  const backend = args.backend as WasmBackend;
  const info = tf.backend_util.computePool3DInfo(x.shape as [number, number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  const xData = backend.readSync(x.dataId);
  const out = backend.makeOutput([...info.outShape], 'float32');
  const y = backend.typedArrayFromHeap(out);
  const { batchSize, inDepth, inHeight, inWidth, inChannels, outDepth, outHeight, outWidth } = info;
  const sampleSize = inDepth * inHeight * inWidth;
  let o = 0;
  for (let b = 0; b < batchSize; b++)
    for (let yd = 0; yd < outDepth; yd++)
      for (let yh = 0; yh < outHeight; yh++)
        for (let yw = 0; yw < outWidth; yw++) {
          y.fill(-Infinity, o, o + inChannels);
          forEachTap(info, yd, yh, yw, (position) => {
            const xBase = (b * sampleSize + position) * inChannels;
            for (let c = 0; c < inChannels; c++) y[o + c] = Math.max(y[o + c]!, xData[xBase + c]!);
          });
          o += inChannels;
        }
  return out;
}

let patched = false;

/** Replaces the wrong wasm kernels (once, before the backend runs a model). */
export function patchWasmKernels(): void {
  if (patched) return;
  patched = true;
  tf.unregisterKernel('Conv3DBackpropInputV2', 'wasm');
  tf.registerKernel({ kernelName: 'Conv3DBackpropInputV2', backendName: 'wasm', kernelFunc: conv3dBackpropInput as tf.KernelFunc });
  tf.unregisterKernel('MaxPool3D', 'wasm');
  tf.registerKernel({ kernelName: 'MaxPool3D', backendName: 'wasm', kernelFunc: maxPool3d as tf.KernelFunc });
}
