// The Python worker runs in a process group of its own (spawned detached), so that a timeout or a
// crash can end it together with anything a fixture started (a DataLoader worker, a server, a
// `subprocess.Popen`). Those grandchildren inherit the worker's stdio: waiting for the pipes to
// close would wait for them, so the bridge waits for the worker's own exit instead.
import type { ChildProcess } from 'node:child_process';

/** Sends `signal` to every process of the group led by `pid`; a group already gone is not an error. */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

export interface ProcessEnd {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (ENOENT, EACCES). */
  readonly spawnError?: NodeJS.ErrnoException;
}

/** Resolves once the process itself has exited (not when its stdio closes), with how it ended. */
export function processExit(child: ChildProcess): Promise<ProcessEnd> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ exitCode: child.exitCode, signal: child.signalCode });
  return new Promise((settle) => {
    child.once('exit', (exitCode, signal) => settle({ exitCode, signal }));
    // A process that never started emits 'error' and no 'exit'.
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (child.pid === undefined) settle({ exitCode: null, signal: null, spawnError: error });
    });
  });
}

/**
 * After the worker exited: gives its pipes `graceMs` to deliver what it wrote last, then ends the
 * group (grandchildren still holding the pipes) and drops the pipes so nothing waits on them.
 */
export async function releaseGroup(child: ChildProcess, graceMs = 500): Promise<void> {
  const closed = new Promise<void>((settle) => {
    if (child.stdout?.closed !== false && child.stderr?.closed !== false) settle();
    else child.once('close', () => settle());
  });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([closed, new Promise<void>((settle) => (timer = setTimeout(settle, graceMs)))]);
  clearTimeout(timer);
  killGroup(child.pid);
  child.stdin?.destroy();
  child.stdout?.destroy();
  child.stderr?.destroy();
}

/** Process groups of workers still alive, ended synchronously if Node exits without closing them. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

export function trackGroup(pid: number | undefined): () => void {
  if (pid === undefined) return () => undefined;
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const group of liveGroups) killGroup(group);
    });
  }
  liveGroups.add(pid);
  return () => liveGroups.delete(pid);
}
