import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function sha256File(path: string): Promise<string> {
  return sha256(await readFile(path));
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

/**
 * Moves a fully written directory into place. When the target exists it is first renamed aside,
 * so an interruption leaves either the old directory or the new one under the target's name.
 */
export async function replaceDirectory(staged: string, target: string): Promise<void> {
  let aside: string | undefined;
  try {
    await rename(target, (aside = temporarySibling(target, 'old')));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    aside = undefined;
  }
  try {
    await rename(staged, target);
  } catch (error) {
    if (aside) await rename(aside, target); // put the old one back
    throw error;
  }
  if (aside) await rm(aside, { recursive: true, force: true });
}
