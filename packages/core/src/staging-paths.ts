/**
 * Where a spec may stage files on the executor. A spec comes from any member
 * of the colony, so its `fs.snapshots[].dir`, `fs.dirs[].dir` and labels are
 * hostile until checked: `dir: "/"` with `keepfiles: false` once made the
 * executor upload every project's staged files into the submitter's label
 * and then delete the whole staging root (issue #13, case 3).
 *
 * A staging dir must be absolute and already normal (no `.`, `..` or empty
 * components, no trailing `/`, no backslash, no control character), and
 * name at least two components: never the staging root, never a top-level
 * namespace such as `/pollinator` that holds every project. Labels follow
 * the same rules with at least one component.
 */
import { defineErrorMarker, PollinatorError } from '@pollinator/errors';
import type { ExecutorSpec } from './validate-spec';

/** A spec field that cannot be used; `field` names it (`fs.dirs[0].dir`). */
const SPEC_FIELD_ERROR = defineErrorMarker<SpecFieldError>('SpecFieldError');

export class SpecFieldError extends PollinatorError {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super('INVALID_SPEC_FIELD', `${field} ${problem}`, { details: { field } });
    this.name = 'SpecFieldError';
    SPEC_FIELD_ERROR.mark(this);
  }

  /** Works across duplicate copies of the package, where `instanceof` does not. */
  static override isInstance(value: unknown): value is SpecFieldError {
    return SPEC_FIELD_ERROR.isMarked(value);
  }
}

/** Fewest components a staging dir has (`/pollinator/<project>`). */
export const MIN_STAGING_DIR_COMPONENTS = 2;

/** Replaces the first `{processid}` (the original's substitution: first occurrence only). */
export function substituteProcessId(text: string, processId: string): string {
  return text.replace('{processid}', processId);
}

// eslint-disable-next-line no-control-regex -- control characters are what is refused
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f\u0085\u2028\u2029]/u;

/**
 * Checks a CFS path of a spec (`dir` or `label`, after `{processid}`
 * substitution) and returns it. Throws `SpecFieldError` naming `field`.
 */
export function confinedCfsPath(value: unknown, field: string, minComponents: number): string {
  if (typeof value !== 'string') throw new SpecFieldError(field, `must be a string, got ${JSON.stringify(value)}`);
  const shown = JSON.stringify(value);
  if (!value.startsWith('/')) throw new SpecFieldError(field, `${shown} must be an absolute path (starting with "/")`);
  if (CONTROL_CHARACTER.test(value)) throw new SpecFieldError(field, `${shown} contains a NUL, line break or other control character`);
  if (value.includes('\\')) throw new SpecFieldError(field, `${shown} contains a backslash`);
  const components = value.slice(1).split('/');
  if (value === '/' || components.some((part) => part === '' || part === '.' || part === '..')) {
    if (value === '/') throw new SpecFieldError(field, `${shown} is the root: name a directory of its own, e.g. /pollinator/<project>/data`);
    throw new SpecFieldError(field, `${shown} is not a normal path (no ".", ".." or empty components, no trailing "/")`);
  }
  if (components.length < minComponents) {
    throw new SpecFieldError(field, `${shown} is too close to the root: it needs at least ${minComponents} components, e.g. /pollinator/<project>/data`);
  }
  return value;
}

/** The staging path of a spec dir on the executor: `<fsDir><dir>`, after the checks above. */
export function stagingPath(fsDir: string, dir: string, processId: string, field = 'fs.dirs[].dir'): string {
  const checked = confinedCfsPath(substituteProcessId(dir, processId), field, MIN_STAGING_DIR_COMPONENTS);
  const base = fsDir.endsWith('/') ? fsDir.slice(0, -1) : fsDir;
  return base + checked;
}

/** One staging directory of a spec, checked. */
export interface StagedDirectory {
  /** Spec field of the dir, e.g. `fs.dirs[1].dir`. */
  field: string;
  kind: 'snapshot' | 'dir';
  index: number;
  /** The dir after `{processid}` substitution (`/pollinator/p/data`). */
  dir: string;
  /** `<fsDir><dir>`. */
  hostPath: string;
  /** `<fs.mount><dir>`: where the job sees it. */
  containerPath: string;
  /** The label after substitution (checked); snapshots: the snapshot's label as given. */
  label: string;
  keepfiles: boolean;
}

function mountPoint(mount: unknown): string {
  if (typeof mount !== 'string') throw new SpecFieldError('fs.mount', `must be a string, got ${JSON.stringify(mount)}`);
  // `/` would put the job's dirs at their own CFS paths: allowed, nothing to prefix.
  if (mount === '/') return '';
  return confinedCfsPath(mount, 'fs.mount', 1);
}

/**
 * Every staging directory of the spec (snapshots, then dirs), each checked,
 * in spec order; entries without a `dir` (or a snapshot without an id, or a
 * dir without a label) are not staged, as the original. Throws
 * `SpecFieldError` for the first bad field. Empty without `fs` or `fs.mount`.
 */
export function stagedDirectories(spec: Pick<ExecutorSpec, 'fs'>, fsDir: string, processId: string): StagedDirectory[] {
  const fs = spec.fs;
  if (!fs || fs.mount === '' || fs.mount === undefined || fs.mount === null) return [];
  const mount = mountPoint(fs.mount);
  const result: StagedDirectory[] = [];
  const add = (kind: 'snapshot' | 'dir', index: number, dir: string, label: string, keepfiles: boolean) => {
    const field = `fs.${kind === 'snapshot' ? 'snapshots' : 'dirs'}[${index}]`;
    const hostPath = stagingPath(fsDir, dir, processId, `${field}.dir`);
    const checkedDir = substituteProcessId(dir, processId);
    // A snapshot is found by its id; its label is only checked when given.
    const checkedLabel = kind === 'snapshot' && !label ? '' : confinedCfsPath(substituteProcessId(label, processId), `${field}.label`, 1);
    result.push({ field: `${field}.dir`, kind, index, dir: checkedDir, hostPath, containerPath: mount + checkedDir, label: checkedLabel, keepfiles: keepfiles === true });
  };
  for (const [index, snapshot] of (fs.snapshots ?? []).entries()) {
    if (!snapshot.snapshotid) continue;
    add('snapshot', index, snapshot.dir, snapshot.label, snapshot.keepfiles);
  }
  for (const [index, entry] of (fs.dirs ?? []).entries()) {
    if (!entry.label || !entry.dir) continue;
    add('dir', index, entry.dir, entry.label, entry.keepfiles);
  }
  return result;
}

/** True when `ancestor` is a strict ancestor directory of `path` (both normal absolute paths). */
export function isAncestorPath(ancestor: string, path: string): boolean {
  const prefix = ancestor.endsWith('/') ? ancestor : `${ancestor}/`;
  return path.startsWith(prefix) && path.length > prefix.length;
}
