import type { RunReport, TargetSummary } from '../harness/index.ts';
import { formatNumber, formatRatio, matrixCells, verdictLine, type MatrixCell } from './format.ts';
import { latencyHtml } from './latency.ts';

function html(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * Colour by margin to tolerance: needed / limit. Comfortable passes are deep green, passes close to
 * the limit turn yellow, failures red; errors are dark red and skips grey.
 */
function cellColour(cell: MatrixCell): string {
  if (cell.status === 'skip') return '#d9d9d9';
  if (cell.status === 'error') return '#8b1a1a';
  if (cell.status === 'nondeterministic') return '#b36bd6';
  const ratio = cell.needed !== undefined && cell.limit ? cell.needed / cell.limit : cell.status === 'pass' ? 0 : 2;
  if (cell.status !== 'pass' || ratio > 1) return '#e0433a';
  if (ratio > 0.5) return '#f2c744';
  if (ratio > 0.1) return '#8fd16a';
  return '#2e9e4f';
}

/** An inline SVG line plot of per-layer max|diff| (log scale) with the tolerance as a dashed line. */
function divergencePlot(target: TargetSummary): string {
  const divergence = target.divergence;
  if (!divergence || divergence.layers.length === 0) return '';
  const width = 640;
  const height = 220;
  const pad = { left: 56, right: 12, top: 16, bottom: 40 };
  // Infinity (a layer whose infinities disagree) and NaN are drawn at the top of the scale.
  const finite = divergence.layers.map((l) => l.maxAbsDiff).filter(Number.isFinite);
  const ceiling = Math.max(1, divergence.tolerance, ...finite) * 10;
  const values = divergence.layers.map((l) => (Number.isFinite(l.maxAbsDiff) ? Math.max(l.maxAbsDiff, 1e-12) : ceiling));
  const lo = Math.floor(Math.log10(Math.min(...values, divergence.tolerance)));
  const hi = Math.ceil(Math.log10(Math.max(...values, divergence.tolerance)));
  const x = (i: number): number => pad.left + (values.length === 1 ? 0 : (i / (values.length - 1)) * (width - pad.left - pad.right));
  const y = (v: number): number => pad.top + ((hi - Math.log10(v)) / Math.max(hi - lo, 1)) * (height - pad.top - pad.bottom);
  const points = values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  const firstIndex = divergence.first ? divergence.layers.findIndex((l) => l.module === divergence.first!.module) : -1;
  const ticks = Array.from({ length: hi - lo + 1 }, (_, k) => lo + k)
    .map(
      (e) =>
        `<text x="${pad.left - 6}" y="${y(10 ** e) + 4}" text-anchor="end" font-size="10">1e${e}</text><line x1="${pad.left}" x2="${width - pad.right}" y1="${y(10 ** e)}" y2="${y(10 ** e)}" stroke="#eee"/>`,
    )
    .join('');
  const labels = divergence.layers
    .map((l, i) =>
      values.length <= 16 || i === firstIndex
        ? `<text x="${x(i)}" y="${height - pad.bottom + 12}" font-size="9" transform="rotate(30 ${x(i)} ${height - pad.bottom + 12})">${html(l.module)}</text>`
        : '',
    )
    .join('');
  return `<figure><svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="per-layer error">
${ticks}<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(divergence.tolerance)}" y2="${y(divergence.tolerance)}" stroke="#e0433a" stroke-dasharray="4 3"/>
<polyline fill="none" stroke="#2b6cb0" stroke-width="2" points="${points}"/>
${values.map((v, i) => `<circle cx="${x(i)}" cy="${y(v)}" r="${i === firstIndex ? 5 : 2.5}" fill="${i === firstIndex ? '#e0433a' : '#2b6cb0'}"><title>${html(divergence.layers[i]!.module)}: ${formatNumber(v)}</title></circle>`).join('')}
${labels}</svg><figcaption>${html(target.model)} / ${html(target.target)}: max|diff| per layer (first seed); dashed: tolerance ${formatNumber(divergence.tolerance)}${
    divergence.first ? `; first divergent layer <b>${html(divergence.first.module)}</b> (${html(divergence.first.op)}, converted name ${html(divergence.first.convertedName)})` : ''
  }</figcaption></figure>`;
}

/** report.html: one self-contained file (no network): the model x target matrix, failures, per-layer plots. */
export function renderHtml(report: RunReport): string {
  const cells = matrixCells(report);
  const models = [...new Set(cells.map((c) => c.model))];
  const targets = [...new Set(cells.map((c) => c.target))];
  const cellFor = (model: string, target: string): MatrixCell | undefined => cells.find((c) => c.model === model && c.target === target);
  const matrix = `<table class="matrix"><thead><tr><th>model</th>${targets.map((t) => `<th>${html(t)}</th>`).join('')}</tr></thead><tbody>
${models
  .map(
    (model) =>
      `<tr><th>${html(model)}</th>${targets
        .map((target) => {
          const c = cellFor(model, target);
          if (!c) return '<td class="empty"></td>';
          const title = `${c.status}; max|diff| ${formatNumber(c.maxAbsDiff)}; rel err ${formatNumber(c.relError)}; vs float64 ${formatRatio(c.float64)}; ${c.rule} limit ${c.limit}; needed ${formatNumber(c.needed)}${c.reason ? `\n${c.reason}` : ''}`;
          return `<td style="background:${cellColour(c)}" title="${html(title)}"><span>${c.status === 'pass' ? formatNumber(c.needed) : c.status.toUpperCase()}</span></td>`;
        })
        .join('')}</tr>`,
  )
  .join('\n')}</tbody></table>`;
  const failures = cells.filter((c) => c.status !== 'pass' && c.status !== 'skip');
  const failedChecks = report.checks.filter((c) => !c.pass);
  const plots = report.targets
    .filter((t) => t.divergence)
    .map(divergencePlot)
    .join('\n');
  const env = report.environment;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>torchport report ${html(report.runId)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1d1d1f}
h1{font-size:20px;margin:0 0 4px} .verdict{font-size:16px;font-weight:600;padding:8px 12px;border-radius:6px;display:inline-block;margin:8px 0 16px}
.pass{background:#dff3e4;color:#17602f} .fail{background:#fde2e0;color:#8b1a1a}
table{border-collapse:collapse} .matrix td,.matrix th{border:1px solid #fff;padding:6px 10px;text-align:center}
.matrix thead th{font-weight:600;background:#f3f4f6} .matrix tbody th{text-align:left;background:#f3f4f6;font-weight:500}
.matrix td span{font:12px ui-monospace,monospace;color:#111;background:rgba(255,255,255,.65);padding:1px 4px;border-radius:3px}
.legend span{display:inline-block;width:14px;height:14px;vertical-align:middle;margin:0 4px 0 12px;border-radius:3px}
ul.failures li{margin:4px 0} code{font:12px ui-monospace,monospace} .meta{color:#555;font-size:12px}
</style></head><body>
<h1>torchport report: ${html(report.suite)}</h1>
<div class="meta">run ${html(report.runId)} · ${html(report.startedAt)} · torchport ${html(env.torchport)} · node ${html(env.node)} · torch ${html(env.torch ?? 'n/a')} · ${html(env.platform)} · ${env.cpus} × ${html(env.cpuModel)} · commit ${html(env.gitCommit?.slice(0, 10) ?? 'n/a')}${env.ci ? ' · CI' : ''}</div>
<div class="verdict ${report.summary.pass ? 'pass' : 'fail'}">${html(verdictLine(report))}</div>
<h2>Model × target</h2>
<p class="legend">Cells show the tolerance that would have been needed (the rule's own unit), coloured by margin to the limit:
<span style="background:#2e9e4f"></span>&lt;10% <span style="background:#8fd16a"></span>&lt;50% <span style="background:#f2c744"></span>&lt;100% <span style="background:#e0433a"></span>fail <span style="background:#8b1a1a"></span>error <span style="background:#d9d9d9"></span>skipped</p>
${matrix}
${failures.length || failedChecks.length ? `<h2>Failures</h2><ul class="failures">${failures.map((c) => `<li><b>${html(c.model)} / ${html(c.target)}</b>: ${html(c.reason ?? c.status)}</li>`).join('')}${failedChecks.map((c) => `<li><b>${html(c.model)}${c.target ? ` / ${html(c.target)}` : ''}</b> check ${html(c.check)}: ${html(c.problems.join('; '))}</li>`).join('')}</ul>` : ''}
${plots ? `<h2>Per-layer error</h2>${plots}` : ''}
${report.latency ? latencyHtml(report.latency) : ''}
</body></html>
`;
}
