import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';

/** A temporary name next to `target` (same directory, so the final rename is atomic). */
export function temporaryPathFor(target: string): string {
  return `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/**
 * Writes `target` so that readers see either the old file or the complete new one, never a
 * partial write: the bytes go to a temporary file that is renamed over the target.
 */
export async function writeFileAtomic(target: string, data: Uint8Array | string): Promise<void> {
  await replaceAtomically(target, (temporary) => writeFile(temporary, data, { flag: 'wx' }));
}

/** Runs `write` on a temporary path, then renames it to `target`; the temporary is removed on failure. */
export async function replaceAtomically(target: string, write: (temporary: string) => Promise<void> | void): Promise<void> {
  const temporary = temporaryPathFor(target);
  try {
    await write(temporary);
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
