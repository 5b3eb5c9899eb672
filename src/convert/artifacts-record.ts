// conversion.json: the record of what `torchport convert` shipped. This module owns its format
// and the checks `verify --artifacts` makes before anything is loaded: every shipped file is
// listed with its SHA-256, nothing unlisted sits beside them, and no path leaves the folder.
import { readFile, realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { TorchportError } from '../errors.ts';
import { listFilesRecursive, sha256 } from '../util/index.ts';

export const CONVERSION_FILE = 'conversion.json';
export const CONVERSION_RECORD_VERSION = 2;

export class ArtifactsError extends TorchportError {
  readonly code = 'E_ARTIFACTS';
  override readonly exitCode = 1 as const;
}

/** SHA-256 of every file under `dir` except conversion.json, by '/'-separated path relative to it. */
export async function hashArtifactFiles(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const path of (await listFilesRecursive(dir)).sort()) if (path !== CONVERSION_FILE) files[path] = sha256(await readFile(join(dir, path)));
  return files;
}

/**
 * A path conversion.json names, resolved inside `dir`; refused when it is absolute, climbs out
 * with '..', or is a link that leads outside the folder.
 */
export async function artifactPath(dir: string, path: unknown, field: string): Promise<string> {
  if (typeof path !== 'string' || path.length === 0) throw new ArtifactsError(`${join(dir, CONVERSION_FILE)}: "${field}" must be a file name, got ${JSON.stringify(path)}`);
  const resolved = resolve(dir, path);
  const inside = (p: string, root: string) => p.startsWith(root + sep);
  if (isAbsolute(path) || path.split(/[\\/]/).includes('..') || !inside(resolved, resolve(dir))) {
    throw new ArtifactsError(`${join(dir, CONVERSION_FILE)}: "${field}" names ${JSON.stringify(path)}, which is outside the artifact folder ${dir}`);
  }
  const real = await realpath(resolved).catch(() => resolved);
  if (!inside(real, await realpath(dir))) throw new ArtifactsError(`${join(dir, CONVERSION_FILE)}: "${field}" (${path}) leads outside the artifact folder through a link`);
  return resolved;
}

/** Checks every shipped file against conversion.json's hashes: a changed, missing or unlisted file is refused. */
export async function checkArtifactFiles(dir: string, files: unknown): Promise<Record<string, string>> {
  const where = join(dir, CONVERSION_FILE);
  if (typeof files !== 'object' || files === null || Array.isArray(files)) {
    throw new ArtifactsError(`${where}: no "files" with the SHA-256 of every shipped file (written by an older torchport?); convert again with \`torchport convert\``);
  }
  const problems: string[] = [];
  for (const [path, expected] of Object.entries(files as Record<string, unknown>)) {
    const absolute = await artifactPath(dir, path, `files.${path}`);
    const bytes = await readFile(absolute).catch(() => undefined);
    if (!bytes) problems.push(`${absolute}: missing (conversion.json lists it)`);
    else if (sha256(bytes) !== expected) problems.push(`${absolute}: changed since conversion (SHA-256 differs from conversion.json)`);
  }
  for (const path of await listFilesRecursive(dir)) if (path !== CONVERSION_FILE && !(path in (files as object))) problems.push(`${join(dir, path)}: not listed in conversion.json`);
  if (problems.length) throw new ArtifactsError(problems.join('\n'));
  return files as Record<string, string>;
}

/** The path conversion.json names for a file must be one whose hash it records. */
export function requireListed(dir: string, files: Readonly<Record<string, string>>, path: string, field: string): void {
  if (!(relative(dir, resolve(dir, path)).split(sep).join('/') in files)) throw new ArtifactsError(`${join(dir, CONVERSION_FILE)}: "${field}" (${path}) has no SHA-256 in "files"`);
}
