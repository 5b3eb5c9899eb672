import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { sha256Chunked } from './read.ts';

export function sha256(bytes: Uint8Array | string): string {
  return typeof bytes === 'string' ? createHash('sha256').update(bytes).digest('hex') : sha256Chunked(bytes);
}

/** Streams the file through the hash: any size, constant memory. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A sibling name for a temporary file or directory that no reader mistakes for the real one. */
export function temporarySibling(path: string, tag = 'tmp'): string {
  return join(dirname(path), `.${basename(path)}.${tag}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/**
 * Writes a file so that readers see either the old content or the new, never a partial one:
 * write a temporary sibling, then rename it over the target (atomic on POSIX file systems).
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await replaceAtomically(path, (temporary) => writeFile(temporary, data, { flag: 'wx' }));
}

/** Runs `write` on a temporary sibling of `target`, then renames it over `target`; the temporary is removed on failure. */
export async function replaceAtomically(target: string, write: (temporary: string) => Promise<void> | void): Promise<void> {
  const temporary = temporarySibling(target);
  try {
    await write(temporary);
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** A rename refused because another directory already sits at the target. */
function targetOccupied(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOTEMPTY' || code === 'EEXIST';
}

/**
 * Moves a fully written directory into place. When the target exists it is first renamed aside,
 * so an interruption leaves either the old directory or the new one under the target's name.
 * Concurrent writers of one target each publish a whole directory (the last one wins): a writer
 * that finds the target taken again between its two renames sets that one aside and retries.
 * `staged` and anything set aside are removed on every path.
 */
export async function replaceDirectory(staged: string, target: string, attempts = 50): Promise<void> {
  try {
    for (let attempt = 1; ; attempt++) {
      const aside = temporarySibling(target, 'old');
      const movedAside = await rename(target, aside).then(
        () => true,
        (error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') return false;
          throw error;
        },
      );
      try {
        await rename(staged, target);
        if (movedAside) await rm(aside, { recursive: true, force: true });
        return;
      } catch (error) {
        if (!targetOccupied(error) || attempt >= attempts) {
          if (movedAside) await rename(aside, target).catch(() => rm(aside, { recursive: true, force: true })); // put the old one back
          throw error;
        }
        // Another writer published between our renames: theirs is newer than what we set aside.
        if (movedAside) await rm(aside, { recursive: true, force: true });
        await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
      }
    }
  } finally {
    await rm(staged, { recursive: true, force: true });
  }
}

/**
 * Moves a fully written directory into place only if nothing is there: the existence check and
 * the move are one rename, so two writers can never both publish. Returns false (and removes
 * `staged`) when the target was taken.
 */
export async function publishDirectory(staged: string, target: string): Promise<boolean> {
  try {
    await rename(staged, target);
    return true;
  } catch (error) {
    if (targetOccupied(error)) return false;
    throw error;
  } finally {
    await rm(staged, { recursive: true, force: true });
  }
}

/** The pid a `temporarySibling` name was made by, or undefined when the name is not one. */
export function temporaryOwner(name: string): number | undefined {
  const match = /\.[a-z]+-(\d+)-[0-9a-f]{8}$/.exec(name);
  return match ? Number(match[1]) : undefined;
}

/** Whether a process with this pid exists (EPERM: it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
