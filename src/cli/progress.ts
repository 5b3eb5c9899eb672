import type { CliContext } from './context.ts';

type Stream = NodeJS.WritableStream & { isTTY?: boolean };

export interface ProgressOptions {
  /** How many models the run covers: lines then say "model 12/41" and, on a TTY, the time left. */
  readonly total?: number;
  readonly stream?: Stream;
  readonly now?: () => number;
}

function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/**
 * Progress for long runs, fed messages "model: what runs now". On a TTY one live line (model n/N,
 * what runs, elapsed time, an estimate of the time left from the models done so far) redrawn in
 * place; elsewhere (CI logs, CI=1) plain lines.
 */
export function createProgress(ctx: CliContext, options: ProgressOptions = {}) {
  const stream = options.stream ?? (ctx.stderr as Stream);
  const now = options.now ?? Date.now;
  const started = now();
  const live = Boolean(stream.isTTY) && !ctx.config.ci;
  const models = new Set<string>();
  let last = '';
  let modelStarted = started;
  let current = '';
  let timer: NodeJS.Timeout | undefined;
  const position = (): string => (options.total ? `model ${Math.min(models.size, options.total)}/${options.total} ` : '');
  const eta = (): string => {
    const done = models.size - 1;
    if (!options.total || done < 1) return '';
    const perModel = (modelStarted - started) / done;
    return `, ~${duration(perModel * (options.total - done) - (now() - modelStarted))} left`;
  };
  const draw = (): void => {
    stream.write(`\r\x1b[2K[${duration(now() - started)}${eta()}] ${position()}${current}`);
  };
  return {
    update(message: string): void {
      const model = message.split(':')[0]!;
      if (model !== last && !models.has(model)) {
        models.add(model);
        modelStarted = now();
      }
      last = model;
      current = message;
      if (!live) {
        stream.write(`[${((now() - started) / 1000).toFixed(1)}s] ${position()}${message}\n`);
        return;
      }
      draw();
      timer ??= setInterval(draw, 250);
      timer.unref();
    },
    done(): void {
      if (timer) clearInterval(timer);
      if (live && current) stream.write('\r\x1b[2K');
    },
  };
}
