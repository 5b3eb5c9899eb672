import type { ResultRow, RunReport } from '../harness/index.ts';

export function formatNumber(value: number | undefined): string {
  if (value === undefined) return '-';
  if (value === 0) return '0';
  if (!Number.isFinite(value)) return String(value);
  return value.toExponential(2);
}

const STATUS_ORDER = ['error', 'fail', 'nondeterministic', 'skip', 'pass'] as const;

/** One line of a model x target matrix: the worst row decides. */
export interface MatrixCell {
  readonly model: string;
  readonly target: string;
  readonly status: ResultRow['status'];
  readonly seedsPassed: number;
  readonly seeds: number;
  readonly maxAbsDiff?: number;
  /** The worst max|diff| / max|ref| over the rows. */
  readonly relError?: number;
  /** The rule and the smallest parameter value that would have passed every row, in that rule's unit. */
  readonly rule: string;
  readonly limit: number | undefined;
  readonly needed: number | undefined;
  readonly reason?: string;
  /** Against PyTorch's float64 answer: the worst error, PyTorch float32's own, and the worst row's ratio (the rounding cost); or why there is none. */
  readonly float64?: Float64Cell;
}

export type Float64Cell = { readonly maxAbsDiff: number; readonly torchMaxAbsDiff: number; readonly ratio: number | null } | { readonly unavailable: string };

function limitOf(row: ResultRow): number | undefined {
  const t = row.tolerance;
  switch (t.rule) {
    case 'scaled':
    case 'allclose':
      return t.atol;
    case 'relative':
      return t.maxRelError;
    case 'quant-steps':
      return row.needed?.parameter === 'steps' ? t.steps : t.fallbackRelError;
    case 'float64-budget':
      return row.needed?.parameter === 'atol' ? t.fallbackAtol : t.k;
    case 'float16-budget':
      return row.needed?.parameter === 'maxRelError' ? t.maxRelError : t.k;
  }
}

export function matrixCells(report: RunReport): MatrixCell[] {
  const groups = new Map<string, ResultRow[]>();
  for (const row of report.results) {
    const key = `${row.model}\u0000${row.target}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  return [...groups.values()].map((rows) => {
    const first = rows[0]!;
    const status = STATUS_ORDER.find((s) => rows.some((r) => r.status === s)) ?? 'pass';
    const seeds = [...new Set(rows.map((r) => r.seed).filter((s) => s !== null))];
    const seedsPassed = seeds.filter((seed) => rows.filter((r) => r.seed === seed).every((r) => r.pass)).length;
    const worstNeeded = rows.reduce<ResultRow | undefined>((w, r) => (r.needed && (!w?.needed || r.needed.value > w.needed.value) ? r : w), undefined);
    const maxAbsDiff = rows.reduce<number | undefined>((m, r) => (r.maxAbsDiff === undefined ? m : Math.max(m ?? 0, r.maxAbsDiff)), undefined);
    const relError = rows.reduce<number | undefined>((m, r) => (r.relError === undefined ? m : Math.max(m ?? 0, r.relError)), undefined);
    const reason = rows.find((r) => r.status === status && r.reason)?.reason;
    const float64 = float64Cell(rows);
    return {
      model: first.model,
      target: first.target,
      status,
      seedsPassed,
      seeds: seeds.length,
      ...(maxAbsDiff !== undefined ? { maxAbsDiff } : {}),
      ...(relError !== undefined ? { relError } : {}),
      // A quant-steps rule without a known output scale judges relative error: say so next to the limit.
      rule: first.rule === 'quant-steps' && worstNeeded?.needed?.parameter === 'maxRelError' ? 'quant-steps rel' : first.rule,
      limit: worstNeeded ? limitOf(worstNeeded) : limitOf(first),
      needed: worstNeeded?.needed?.value,
      ...(reason ? { reason } : {}),
      ...(float64 ? { float64 } : {}),
    };
  });
}

/** The rows' float64 columns folded: worst errors and the worst row's ratio; unavailable when no row has one. */
function float64Cell(rows: readonly ResultRow[]): Float64Cell | undefined {
  let cell: { maxAbsDiff: number; torchMaxAbsDiff: number; ratio: number | null } | undefined;
  for (const { float64 } of rows) {
    if (!float64 || !('maxAbsDiff' in float64)) continue;
    const worse = cell === undefined || (cell.ratio !== null && (float64.ratio === null || float64.ratio > cell.ratio));
    cell = {
      maxAbsDiff: Math.max(cell?.maxAbsDiff ?? 0, float64.maxAbsDiff),
      torchMaxAbsDiff: Math.max(cell?.torchMaxAbsDiff ?? 0, float64.torchMaxAbsDiff),
      ratio: worse ? float64.ratio : cell!.ratio,
    };
  }
  if (cell) return cell;
  const missing = rows.find((r) => r.float64 && 'unavailable' in r.float64)?.float64;
  return missing;
}

/** The rounding cost for a table cell: "1.93x", "exact" (PyTorch float32 equals float64), "n/a" (no float64 answer), "-" (no float output). */
export function formatRatio(cell: Float64Cell | undefined): string {
  if (!cell) return '-';
  if ('unavailable' in cell) return 'n/a';
  if (cell.ratio === null) return 'exact';
  return cell.ratio < 100 ? `${cell.ratio.toFixed(2)}x` : `${cell.ratio.toExponential(1)}x`; // reduced-precision variants cost 1e3-1e5x
}

/**
 * A reason on one line, at most `max` characters: line breaks become spaces (an unsupported-op list
 * follows its "...:" on the next line), and a longer text is cut at a word boundary, never inside
 * a number or a name, with trailing ":" / "," dropped and "…" appended.
 */
export function shortenReason(reason: string, max: number): { text: string; shortened: boolean } {
  const flat = reason
    .replace(/\s*\n\s*/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (flat.length <= max) return { text: flat, shortened: false };
  const cut = flat.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  const head = (space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s:;,([{-]+$/, '');
  return { text: `${head}…`, shortened: true };
}

/** "12 rows (seed x output) on 5 model x target lines": the two units a run is counted in. */
export function countsLine(report: RunReport): string {
  const lines = new Set(report.results.map((r) => `${r.model}\u0000${r.target}`)).size;
  const models = report.models.length;
  return `${report.summary.rows} rows (seed x output) on ${lines} model x target lines, ${models} ${models === 1 ? 'model' : 'models'}`;
}

export function verdictLine(report: RunReport): string {
  const s = report.summary;
  // A bench run has no parity rows: its verdict is the latency gate's alone.
  if (s.rows === 0 && report.latency) {
    const l = report.latency.summary;
    return report.latency.baseline
      ? `${s.pass ? 'PASS' : 'FAIL'}: latency ${l.regressions} regression(s) of ${l.gated} gated`
      : `MEASURED: latency of ${report.latency.entries.length} model x target lines, not gated (no baseline)`;
  }
  const skipped = s.skipped === 0 ? '0 skipped' : `${s.skipped} skipped (${s.skippedAllowed ?? 0} allowed${s.skipReasons?.length ? `: ${s.skipReasons.join('; ')}` : ''})`;
  const parts = [`${s.passed} passed`, `${s.failed} failed`, `${s.errors} errors`, skipped];
  if (s.nondeterministic) parts.push(`${s.nondeterministic} nondeterministic`);
  const latency = report.latency?.baseline ? `; latency: ${report.latency.summary.regressions} regression(s) of ${report.latency.summary.gated} gated` : '';
  const notGreen = (s.notGreen ?? []).map((why) => `\nNOT GREEN: ${why}`).join('');
  return `${s.pass ? 'PASS' : 'FAIL'}: ${parts.join(', ')} of ${countsLine(report)}; ${s.checksFailed} failed checks${latency}${notGreen}`;
}
