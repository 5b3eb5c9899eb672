// torchport's TFLite writer vs TensorFlow's TFLiteConverter on the same Keras model (int8 on the same
// representative samples), per golden and variant: max |error| against PyTorch over every recorded
// seed and output, file size, operator count, and latency in the native LiteRT interpreter (p50 on
// 1 thread, timed inside the TensorFlow worker). Both run in the native interpreter.
//
//   npx tsx scripts/compare-tfconverter.ts [golden names...] [--variants fp32,dynamic-int8,int8] [--json]
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeError } from '../src/errors.ts';
import { createTargets, loadGolden, type OpenTarget, type Target } from '../src/harness/index.ts';
import type { Tensor } from '../src/tensor/index.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const flag = (name: string) => {
  const at = args.indexOf(name);
  return at >= 0 ? (args.splice(at, at + 1 < args.length && !args[at + 1]!.startsWith('--') ? 2 : 1)[1] ?? '') : undefined;
};
const json = flag('--json') !== undefined;
const variants = (flag('--variants') ?? 'fp32,dynamic-int8,int8').split(',');
const names =
  args.length > 0
    ? args
    : readdirSync(join(ROOT, 'golden'))
        .filter((n) => !n.startsWith('.'))
        .sort();

interface Measured {
  readonly error?: number;
  readonly bytes?: number;
  readonly ops?: number;
  readonly p50Ms?: number;
  readonly failure?: string;
}

function maxAbsDiff(actual: readonly Tensor[], expected: readonly Tensor[]): number {
  let worst = 0;
  expected.forEach((reference, k) => {
    const [a, r] = [actual[k]!.toFloat32().data, reference.toFloat32().data];
    for (let i = 0; i < r.length; i++) worst = Math.max(worst, Number.isNaN(a[i]!) ? Infinity : Math.abs(a[i]! - r[i]!));
  });
  return worst;
}

async function measure(target: Target, golden: Awaited<ReturnType<typeof loadGolden>>): Promise<Measured> {
  let open: OpenTarget | undefined;
  try {
    open = await target.open(golden);
    let error = 0;
    for (const seed of golden.manifest.seeds) error = Math.max(error, maxAbsDiff(await open.run(await golden.inputs(seed)), await golden.outputs(seed)));
    const [single] = (await open.selfTimed?.(await golden.inputs(golden.manifest.seeds[0]!))) ?? [];
    let p50Ms: number | undefined;
    if (single) {
      await single.warmUp(200, 5);
      const samples = (await single.measure(1000, 20)).sort((a, b) => a - b);
      p50Ms = samples[Math.floor(samples.length / 2)];
      await single.close();
    }
    const ops = open.structure ? Object.values(open.structure.ops).reduce((a, b) => a + b, 0) : undefined;
    return { error, bytes: open.structure?.bytes, ops, p50Ms };
  } catch (failure) {
    return { failure: describeError(failure).split('\n')[0]!.slice(0, 120) };
  } finally {
    await open?.close().catch(() => undefined);
  }
}

const rows: Array<{ model: string; variant: string; writer: Measured; tfconverter: Measured }> = [];
const targets = createTargets(
  variants.flatMap((v) => [`tflite-native-${v}`, `tflite-tfconverter-${v}`]),
  { bridge: null, torchUnavailable: 'not needed' },
);
for (const name of names) {
  const golden = await loadGolden(join(ROOT, 'golden', name));
  for (const [i, variant] of variants.entries()) {
    const writer = await measure(targets[2 * i]!, golden);
    const tfconverter = await measure(targets[2 * i + 1]!, golden);
    rows.push({ model: name, variant, writer, tfconverter });
    if (!json) process.stderr.write(`${name} ${variant} done\n`);
  }
}

const cell = (m: Measured) =>
  m.failure
    ? [`FAILED: ${m.failure}`, '', '', '']
    : [m.error!.toExponential(1), `${((m.bytes ?? 0) / 1024).toFixed(1)} KiB`, String(m.ops ?? '-'), m.p50Ms === undefined ? '-' : m.p50Ms.toPrecision(2)];
if (json) console.log(JSON.stringify(rows, null, 1));
else {
  console.log('| model | variant | writer error | writer size | writer ops | writer p50 ms | TF error | TF size | TF ops | TF p50 ms |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const row of rows) console.log(`| ${row.model} | ${row.variant} | ${[...cell(row.writer), ...cell(row.tfconverter)].join(' | ')} |`);
}
process.exit(0);
