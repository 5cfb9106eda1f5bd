import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { UnsafePathError } from './errors';

/** The marker file the Go client writes into every synced directory. */
export const MARKER_FILE = '.cfs';
/** Prefix of the temporary files downloads are written to before the rename. */
export const TEMP_PREFIX = '.pollinator-tmp-';
/** Infix of the backups a conflict leaves when the remote version wins. */
export const BACKUP_INFIX = '.pollinator-conflict-';

function checkSegment(segment: string, whole: string, what: string): void {
  if (segment === '') throw new UnsafePathError(whole, `empty ${what} segment`);
  if (segment === '.' || segment === '..') throw new UnsafePathError(whole, `"${segment}" ${what} segment`);
  if (segment.includes('\0')) throw new UnsafePathError(whole, `NUL byte in ${what}`);
  if (segment.includes('\\')) throw new UnsafePathError(whole, `backslash in ${what}`);
  if (/^[A-Za-z]:/.test(segment)) throw new UnsafePathError(whole, `drive letter in ${what}`);
}

/** A CFS label is `/seg/seg…`: leading slash, no trailing slash, no `.`/`..`, NUL or backslash. */
export function assertSafeLabel(label: string): void {
  if (typeof label !== 'string' || !label.startsWith('/')) throw new UnsafePathError(String(label), 'a label must start with "/"');
  if (label === '/') throw new UnsafePathError(label, 'the root label "/" cannot be synced');
  for (const segment of label.slice(1).split('/')) checkSegment(segment, label, 'label');
}

/** A remote file name is one path segment. `.cfs` (the marker) is refused too. */
export function assertSafeName(name: string, label = ''): void {
  const whole = `${label}/${name}`;
  if (typeof name !== 'string' || name.includes('/')) throw new UnsafePathError(whole, 'a file name must not contain "/"');
  checkSegment(name, whole, 'file name');
  if (name === MARKER_FILE) throw new UnsafePathError(whole, 'a remote file may not replace the .cfs marker');
}

/**
 * The path of `label` relative to `rootLabel`, as POSIX segments joined by
 * "/" ("" for the root). Throws UnsafePathError when `label` is not the root
 * label or below it, or has an unsafe segment.
 */
export function labelToRelative(rootLabel: string, label: string): string {
  if (label === rootLabel) return '';
  if (!label.startsWith(`${rootLabel}/`)) throw new UnsafePathError(label, `label is not below ${rootLabel}`);
  const rest = label.slice(rootLabel.length + 1);
  for (const segment of rest.split('/')) checkSegment(segment, label, 'label');
  return rest;
}

export function relativeToLabel(rootLabel: string, rel: string): string {
  return rel === '' ? rootLabel : `${rootLabel}/${rel}`;
}

export function joinRel(dirRel: string, name: string): string {
  return dirRel === '' ? name : `${dirRel}/${name}`;
}

/** Absolute local path of a relative POSIX path under `rootDir`, proven not to escape it. */
export function localPath(rootDir: string, rel: string): string {
  const root = resolve(rootDir);
  const target = rel === '' ? root : resolve(join(root, ...rel.split('/')));
  const back = relative(root, target);
  if (back.startsWith('..') || isAbsolute(back) || (back !== '' && back.split(sep).includes('..'))) {
    throw new UnsafePathError(rel, `escapes ${root}`);
  }
  return target;
}

export function isInternalName(name: string): boolean {
  return name.startsWith(TEMP_PREFIX);
}
