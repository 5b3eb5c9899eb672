import type { CliContext } from './context.ts';

/**
 * Progress for long runs: on a TTY one live line (what runs now, elapsed time) redrawn in place;
 * elsewhere (CI logs) plain lines.
 */
export function createProgress(ctx: CliContext, stream: NodeJS.WritableStream & { isTTY?: boolean } = ctx.stderr as NodeJS.WritableStream & { isTTY?: boolean }) {
  const started = Date.now();
  const live = Boolean(stream.isTTY) && !ctx.env['CI'];
  let current = '';
  let timer: NodeJS.Timeout | undefined;
  const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(1)}s`;
  const draw = (): void => {
    stream.write(`\r\x1b[2K[${elapsed()}] ${current}`);
  };
  return {
    update(message: string): void {
      current = message;
      if (!live) {
        stream.write(`[${elapsed()}] ${message}\n`);
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
