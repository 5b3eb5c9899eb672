// Issue 16's performance table from one command. Sections:
//  1. per model and TFLite variant: size, operators, error against PyTorch (worst max|diff| / max|ref|
//     over the golden's seeds) and latency of torchport's file over another converter's file of the
//     same model, timed interleaved in this process (LiteRT.js, 1 thread), with the gate's 95%
//     bootstrap interval; and torchport's fp16 over its fp32. Models: the fixtures given (default
//     scripts/perf/*.py: torchvision resnet18, squeezenet1_1, mobilenet_v2, efficientnet_b0 at
//     1x3x64x64), recorded into a scratch golden. The other converter's files come from --against DIR
//     (DIR/<model>/conversion.json from `torchport convert`, or DIR/<model>/<variant>.tflite from any
//     converter) or are written here by litert-torch (--peer-python: an interpreter with litert-torch,
//     scripts/peer_litert_torch.py), both converters calibrating int8 on the same samples;
//  2. full-int8 error per calibration observer over the committed goldens (scripts/bench-variants.ts);
//  3. the latency gate's A/A false alarms under CPU load (scripts/bench-variants.ts --aa);
//  4. `torchport --help` and `convert` end to end (scripts/bench-startup.ts).
//
//   npm run build && npx tsx scripts/perf-table.ts --peer-python /path/to/venv/bin/python [--against DIR]
//       [--fixtures a.py,b.py] [--time MS] [--rounds N] [--aa RUNS] [--skip-observers] [--skip-aa] [--skip-startup] [--out FILE]
import { execa } from 'execa';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_PLAN } from '../src/bench/index.ts';
import { buildKeras, defaultRepresentative, loadArtifacts, lowerToTflite } from '../src/convert/index.ts';
import { errorMetrics, fileTargets, loadGolden, type Golden } from '../src/harness/index.ts';
import { interleavedRatio } from './lib/interleaved-ratio.ts';
import { Tensor, channelsLastAxes, encodeNpy } from '../src/tensor/index.ts';
import { inspectTflite, type TfliteInspection } from '../src/tflite/index.ts';
import { QUANTIZE_VARIANTS, type QuantizeVariant } from '../src/tflite/lower/index.ts';

const { values: args } = parseArgs({
  options: {
    'peer-python': { type: 'string' },
    against: { type: 'string' },
    fixtures: { type: 'string' },
    time: { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '12' },
    aa: { type: 'string', default: '3' },
    'skip-observers': { type: 'boolean', default: false },
    'skip-aa': { type: 'boolean', default: false },
    'skip-startup': { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
const root = new URL('..', import.meta.url).pathname;
const perfDir = join(root, 'scripts/perf');
const fixtures =
  args.fixtures?.split(',') ??
  readdirSync(perfDir)
    .filter((f) => f.endsWith('.py') && !f.startsWith('_'))
    .map((f) => join(perfDir, f));
const plan = { ...DEFAULT_PLAN, timePerWorkloadMs: Number(args.time), rounds: Number(args.rounds), warmupMs: 300 };
const lines: string[] = [];
const say = (line = '') => {
  lines.push(line);
  console.log(line);
};
const progress = (message: string) => process.stderr.write(`perf-table: ${message}\n`);

const scratch = await mkdtemp(join(tmpdir(), 'perf-table-'));
try {
  say(`# torchport performance table (${new Date().toISOString().slice(0, 16)}Z)`);
  say();
  say(`\`npx tsx scripts/perf-table.ts ${process.argv.slice(2).join(' ')}\``);
  await modelTable();
  if (!args['skip-observers'])
    await section('Full-int8 error per calibration observer, committed goldens', ['scripts/bench-variants.ts', '--skip-latency'], (out) => out.slice(out.indexOf('\nint8 error per observer')).trim());
  if (!args['skip-aa']) await section('A/A false alarms of `bench --against` under CPU load', ['scripts/bench-variants.ts', '--aa', args.aa!], (out) => out.trim());
  if (!args['skip-startup']) await section('Start-up and `convert` end to end', ['scripts/bench-startup.ts', '--runs', '3', '--convert-runs', '2'], (out) => out.trim());
  if (args.out) {
    await writeFile(`${args.out}.tmp`, `${lines.join('\n')}\n`);
    await rename(`${args.out}.tmp`, args.out);
  }
} finally {
  await rm(scratch, { recursive: true, force: true });
}

async function section(title: string, command: readonly string[], pick: (stdout: string) => string): Promise<void> {
  progress(`${title} (${command.join(' ')})`);
  const { stdout } = await execa('npx', ['tsx', ...command], { cwd: root, stderr: 'inherit' });
  say();
  say(`## ${title}`);
  say();
  say(`\`npx tsx ${command.join(' ')}\``);
  say();
  say('```');
  say(pick(stdout));
  say('```');
}

/** Section 1: one row per model and variant. */
async function modelTable(): Promise<void> {
  const goldens = join(scratch, 'goldens');
  const samplesDir = join(scratch, 'samples');
  await mkdir(samplesDir, { recursive: true });
  const recorded: Array<{ fixture: string; golden: Golden; samples: string }> = [];
  for (const fixture of fixtures) {
    const name = basename(fixture, '.py');
    progress(`recording ${name}`);
    await execa('node', [join(root, 'bin/torchport.mjs'), 'golden', 'add', fixture, '--golden', goldens, '--seeds', '3', '--targets', 'keras', '--no-onnx', '--no-activations'], {
      cwd: root,
      stdout: 'ignore',
    });
    const golden = await loadGolden(join(goldens, name));
    // The representative samples torchport calibrates on by default, written for the other converter too.
    const batch = defaultRepresentative(golden).samples.map((sample) => sample[0]!.toFloat32());
    const [first] = batch;
    const stacked = new Float32Array(batch.length * first!.size);
    batch.forEach((t, i) => stacked.set(t.data, i * first!.size));
    const samples = join(samplesDir, `${name}.npy`);
    await writeFile(samples, encodeNpy(new Tensor('float32', [batch.length, ...first!.shape], stacked)));
    recorded.push({ fixture, golden, samples });
  }
  let against = args.against;
  const peerSeconds: string[] = [];
  if (!against && args['peer-python']) {
    against = join(scratch, 'peer');
    for (const { fixture, samples } of recorded) {
      progress(`litert-torch converting ${basename(fixture)}`);
      const t0 = performance.now();
      await execa(args['peer-python'], [join(root, 'scripts/peer_litert_torch.py'), '--out', against, '--representative', samples, fixture], { cwd: root, stdout: 'ignore' });
      peerSeconds.push(`${basename(fixture, '.py')} ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
  }
  say();
  say(`## Per model and variant: torchport vs ${args.against ? `the files in ${args.against}` : args['peer-python'] ? 'litert-torch' : '(no other converter: pass --peer-python or --against)'}`);
  say();
  say('Error: worst max|diff| / max|ref| over 3 seeds. Latency: median ratio [95% bootstrap interval], interleaved, LiteRT.js, 1 thread; < 1 means torchport is faster.');
  say();
  say('| model | variant | bytes | other bytes | ops | other ops | error | other error | latency / other | fp16 / fp32 latency |');
  say('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const { golden } of recorded) {
    const name = golden.manifest.name;
    progress(`converting and timing ${name}`);
    const keras = await buildKeras(golden);
    const ourFiles = new Map<string, Uint8Array>();
    for (const variant of QUANTIZE_VARIANTS) ourFiles.set(variant, (await lowerToTflite(keras, golden, variant)).bytes);
    // The like-for-like row for a converter whose int8 model takes and returns int8 (litert-torch's does).
    ourFiles.set('int8, int8 I/O', (await lowerToTflite(keras, golden, 'int8', { int8Io: true })).bytes);
    keras.model.dispose();
    const others = against ? await otherFiles(join(against, name)) : new Map<QuantizeVariant, Uint8Array>();
    for (const [variant, ours] of ourFiles) {
      const theirs = others.get(variant.startsWith('int8') ? 'int8' : (variant as QuantizeVariant));
      const [ourInfo, theirInfo] = [inspectTflite(ours), theirs && inspectTflite(theirs)];
      const file = (who: string) => join(scratch, `${name}.${who}.${variant.replace(/\W+/g, '-')}.tflite`);
      const cells = [
        name,
        variant,
        String(ours.byteLength),
        theirs ? String(theirs.byteLength) : '-',
        String(ourInfo.operatorCount),
        theirInfo ? String(theirInfo.operatorCount) : '-',
        (await errorOf(golden, ours, file('ours'))).toExponential(2),
        theirs ? (await errorOf(golden, theirs, file('other'))).toExponential(2) : '-',
        theirs ? await latencyRatio(golden, ours, theirs) : '-',
        variant === 'fp16' ? await latencyRatio(golden, ours, ourFiles.get('fp32')!) : '',
      ];
      say(`| ${cells.join(' | ')} |`);
    }
  }
  if (peerSeconds.length) {
    say();
    say(`litert-torch, whole process per model (Python start, fixture build, fp32 + int8 files): ${peerSeconds.join(', ')}.`);
  }
}

/** The other converter's files of one model, by variant. */
async function otherFiles(dir: string): Promise<Map<QuantizeVariant, Uint8Array>> {
  if (existsSync(join(dir, 'conversion.json'))) return new Map([...(await loadArtifacts(dir)).tflite].map(([variant, file]) => [variant, file.bytes]));
  const files = new Map<QuantizeVariant, Uint8Array>();
  for (const variant of QUANTIZE_VARIANTS) {
    const path = join(dir, `${variant}.tflite`);
    if (existsSync(path)) files.set(variant, new Uint8Array(await readFile(path)));
  }
  return files;
}

/** Through the `--tflite FILE` target, so either converter's layout and int8 inputs are handled alike. */
async function errorOf(golden: Golden, bytes: Uint8Array, path: string): Promise<number> {
  await writeFile(path, bytes);
  const target = (await fileTargets({ kind: 'tflite', path })).find((t) => !t.name.includes('native'))!;
  const open = await target.open(golden);
  try {
    let worst = 0;
    for (const seed of golden.manifest.seeds) {
      const outputs = await open.run(await golden.inputs(seed));
      const references = await golden.outputs(seed);
      outputs.forEach((output, k) => {
        const m = errorMetrics(output.toFloat32(), references[k]!.toFloat32());
        worst = Math.max(worst, m.maxAbsDiff / m.maxAbsReference);
      });
    }
    return worst;
  } finally {
    await open.close();
  }
}

/**
 * The golden's first input as the file's own input tensor: PyTorch's layout or channels-last
 * (whichever its shape is), int8 by its scale and zero point. Built once, outside the timed region,
 * so both files are timed on the interpreter call alone.
 */
function nativeInputs(inspection: TfliteInspection, torchInputs: readonly Tensor[]): Tensor[] {
  return inspection.inputs.map((spec, i) => {
    let t = torchInputs[i]!.toFloat32();
    const same = (shape: readonly number[]) => shape.length === spec.shape.length && shape.every((d, k) => d === spec.shape[k]);
    if (!same(t.shape) && t.rank >= 3 && same(channelsLastAxes(t.rank).map((a) => t.shape[a]!))) t = t.permute(channelsLastAxes(t.rank));
    if (!same(t.shape)) throw new Error(`input ${i}: shape [${t.shape}] fits neither layout of the file's [${spec.shape}]`);
    if (spec.type !== 'int8') return t;
    const scale = spec.quantization!.scale[0]!;
    const zero = Number(spec.quantization!.zeroPoint[0] ?? 0);
    return new Tensor(
      'int8',
      t.shape,
      Int8Array.from(t.data, (v) => Math.max(-128, Math.min(127, Math.round(v / scale) + zero))),
    );
  });
}

async function latencyRatio(golden: Golden, a: Uint8Array, b: Uint8Array): Promise<string> {
  const torchInputs = await golden.inputs(golden.manifest.seeds[0]!);
  return (await interleavedRatio(a, b, [nativeInputs(inspectTflite(a), torchInputs), nativeInputs(inspectTflite(b), torchInputs)], plan, 3)).text;
}
