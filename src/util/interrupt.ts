// Cleanup that must also happen when the process is interrupted (SIGINT, SIGTERM, SIGHUP): temporary
// goldens, the bridge's scratch folder, the Python worker's process group. Node's default action
// for these signals exits at once and runs no `finally`, so while any cleanup is registered the
// signals are caught, every cleanup runs (bounded in time), and the process exits with the code the
// signal would have given (128 + its number).

const SIGNALS = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const;
type Signal = keyof typeof SIGNALS;

/** How long all cleanups together may take after a signal before the process exits anyway. */
const CLEANUP_BUDGET_MS = 5000;

type Cleanup = () => Promise<unknown> | unknown;

const cleanups = new Set<Cleanup>();
let exiting = false;

function onSignal(signal: Signal): void {
  if (exiting) return; // a second signal while cleaning up: the budget timer still ends the process
  exiting = true;
  const code = 128 + SIGNALS[signal];
  const timer = setTimeout(() => process.exit(code), CLEANUP_BUDGET_MS);
  timer.unref();
  const pending = [...cleanups].map(async (cleanup) => {
    try {
      await cleanup();
    } catch {
      // one failing cleanup must not keep the others from running
    }
  });
  void Promise.all(pending).then(() => process.exit(code));
}

const handlers = Object.fromEntries(Object.keys(SIGNALS).map((signal) => [signal, () => onSignal(signal as Signal)])) as Record<Signal, () => void>;

/**
 * Runs `cleanup` if the process is interrupted before the returned function is called. Call the
 * returned function when the resource is gone (after the normal cleanup); the signal handlers are
 * installed only while at least one cleanup is registered, so Node's default behaviour is untouched
 * otherwise.
 */
export function cleanupOnInterrupt(cleanup: Cleanup): () => void {
  if (cleanups.size === 0) for (const signal of Object.keys(SIGNALS) as Signal[]) process.on(signal, handlers[signal]);
  cleanups.add(cleanup);
  return () => {
    if (!cleanups.delete(cleanup) || cleanups.size > 0) return;
    for (const signal of Object.keys(SIGNALS) as Signal[]) process.off(signal, handlers[signal]);
  };
}
