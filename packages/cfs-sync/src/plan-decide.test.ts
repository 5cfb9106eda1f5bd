import { describe, expect, it } from 'vitest';
import { IgnoreRules } from './ignore-rules';
import { decideSync, summarize, type DecisionOptions, type SyncFacts } from './plan-decide';
import type { SyncPlanEntry } from './plan-types';
import type { FileData } from './types';
import type { IgnoredEntry, LocalFile } from './walk';
import { UnsafePathError } from './errors';

const LABEL = '/p/src';
const BACKUP: DecisionOptions = { keepLocal: false, onConflict: 'backup' };

function local(rel: string, size = 3): LocalFile {
  const slash = rel.lastIndexOf('/');
  return {
    rel,
    dirRel: slash < 0 ? '' : rel.slice(0, slash),
    name: rel.slice(slash + 1),
    abs: `/work/${rel}`,
    stat: { size, mtimeNs: 1n, ctimeNs: 1n, ino: 1n },
  };
}

function remote(name: string, checksum: string, size = 4): FileData {
  return { name, checksum, size, s3filename: `object-${name}` };
}

/** Facts with every field defaulted: one walked root directory, the root rules, nothing remote. */
function facts(partial: Partial<SyncFacts> & { files?: LocalFile[] } = {}): SyncFacts {
  const { files = [], ...rest } = partial;
  const localDirs = new Map<string, LocalFile[]>([['', []]]);
  for (const file of files) localDirs.set(file.dirRel, [...(localDirs.get(file.dirRel) ?? []), file]);
  return {
    label: LABEL,
    localDirs,
    rules: new Map([['', IgnoreRules.root({ noDefaults: true, extraRules: ['*.log', 'build/'] })]]),
    ignored: [],
    localExists: true,
    remote: new Map(),
    localChecksums: new Map(),
    lastSynced: new Map(),
    ...rest,
  };
}

/** The decision for one path. */
function entry(decided: { entries: SyncPlanEntry[] }, path: string): SyncPlanEntry {
  const found = decided.entries.find((candidate) => candidate.path === path);
  if (!found) throw new Error(`no entry for ${path} in ${decided.entries.map((candidate) => candidate.path).join(', ')}`);
  return found;
}

interface Row {
  name: string;
  facts: SyncFacts;
  options?: DecisionOptions;
  path: string;
  expected: Partial<SyncPlanEntry>;
  reason: RegExp;
}

const bothSides = (localChecksum: string, remoteChecksum: string, lastSynced?: string): SyncFacts =>
  facts({
    files: [local('a.txt')],
    remote: new Map([[LABEL, [remote('a.txt', remoteChecksum)]]]),
    localChecksums: new Map([['a.txt', localChecksum]]),
    lastSynced: new Map(lastSynced === undefined ? [] : [['a.txt', lastSynced]]),
  });

const rows: Row[] = [
  {
    name: 'local only: upload its size',
    facts: facts({ files: [local('a.txt', 3)] }),
    path: 'a.txt',
    expected: { action: 'upload', size: 3, label: LABEL, name: 'a.txt' },
    reason: /new local file, not in CFS/,
  },
  {
    name: 'remote only: download the remote size and checksum',
    facts: facts({ remote: new Map([[LABEL, [remote('a.txt', 'r', 4)]]]) }),
    path: 'a.txt',
    expected: { action: 'download', size: 4, remoteChecksum: 'r' },
    reason: /in CFS, not present locally/,
  },
  {
    name: 'same content on both sides: unchanged, local size',
    facts: bothSides('same', 'same'),
    path: 'a.txt',
    expected: { action: 'unchanged', size: 3, localChecksum: 'same', remoteChecksum: 'same' },
    reason: /same content/,
  },
  {
    name: 'same content with keepLocal: still unchanged',
    facts: bothSides('same', 'same'),
    options: { keepLocal: true, onConflict: 'backup' },
    path: 'a.txt',
    expected: { action: 'unchanged' },
    reason: /same content/,
  },
  {
    name: 'differ, keepLocal: conflict uploaded as a new revision',
    facts: bothSides('l', 'r'),
    options: { keepLocal: true, onConflict: 'fail' },
    path: 'a.txt',
    expected: { action: 'conflict', resolution: 'upload', size: 3 },
    reason: /keepLocal: the local version is uploaded/,
  },
  {
    name: 'differ, local unchanged since the last sync: plain download',
    facts: bothSides('l', 'r', 'l'),
    path: 'a.txt',
    expected: { action: 'download', size: 4, localChecksum: 'l' },
    reason: /unchanged since the last sync/,
  },
  {
    name: 'differ, local edited since the last sync: backup and download',
    facts: bothSides('l', 'r', 'older'),
    path: 'a.txt',
    expected: { action: 'conflict', resolution: 'backup-and-download', size: 4 },
    reason: /kept as a\.txt\.pollinator-conflict-<time>/,
  },
  {
    name: 'differ, never synced: backup and download',
    facts: bothSides('l', 'r'),
    path: 'a.txt',
    expected: { action: 'conflict', resolution: 'backup-and-download' },
    reason: /remote version wins/,
  },
  {
    name: 'differ, local edited, onConflict fail: refused',
    facts: bothSides('l', 'r', 'older'),
    options: { keepLocal: false, onConflict: 'fail' },
    path: 'a.txt',
    expected: { action: 'conflict', resolution: 'refuse' },
    reason: /refused \(local changes would be lost\)/,
  },
  {
    name: 'remote only with a reserved temporary name: ignored',
    facts: facts({ remote: new Map([[LABEL, [remote('.pollinator-tmp-1', 'r')]]]) }),
    path: '.pollinator-tmp-1',
    expected: { action: 'ignored', size: 4 },
    reason: /reserved name/,
  },
  {
    name: 'remote only, matched by an ignore rule: ignored with the rule',
    facts: facts({ remote: new Map([[LABEL, [remote('run.log', 'r')]]]) }),
    path: 'run.log',
    expected: { action: 'ignored', ignoredBy: { pattern: '*.log', file: '<options>', line: 1 } },
    reason: /ignored by <options>:1 \(\*\.log\)/,
  },
  {
    name: 'a symbolic link the walk skipped: ignored, with its target, never transferred',
    facts: facts({
      ignored: [{ rel: 'link', isDir: false, reason: 'symbolic link to /etc/passwd: not uploaded', symlink: { target: '/etc/passwd', reason: 'symbolic links are skipped by default' } }],
    }),
    path: 'link',
    expected: { action: 'ignored', size: 0, label: LABEL, name: 'link', symlink: { target: '/etc/passwd', reason: 'symbolic links are skipped by default' } },
    reason: /symbolic link to \/etc\/passwd/,
  },
  {
    name: 'a skipped symbolic link CFS has a file for: stays ignored, the remote file is not downloaded through it',
    facts: facts({
      ignored: [{ rel: 'link', isDir: false, reason: 'symbolic link to x', symlink: { target: 'x', reason: 'symbolic links are skipped by default' } }],
      remote: new Map([[LABEL, [remote('link', 'r')]]]),
    }),
    path: 'link',
    expected: { action: 'ignored', symlink: { target: 'x', reason: 'symbolic links are skipped by default' } },
    reason: /symbolic link to x/,
  },
  {
    name: 'a skipped link to a directory, with a sub-label in CFS: the remote files below are ignored',
    facts: facts({
      ignored: [{ rel: 'linked', isDir: true, reason: 'symbolic link to /tmp: loop', symlink: { target: '/tmp', reason: 'symbolic link loop' } }],
      remote: new Map([[`${LABEL}/linked`, [remote('inner.txt', 'r')]]]),
    }),
    path: 'linked/inner.txt',
    expected: { action: 'ignored', size: 4, label: `${LABEL}/linked` },
    reason: /^in linked\/, symbolic link to \/tmp: loop$/,
  },
  {
    name: 'a remote sub-label under a directory the rules ignore: ignored with the rule',
    facts: facts({ remote: new Map([[`${LABEL}/build/out`, [remote('x.o', 'r')]]]) }),
    path: 'build/out/x.o',
    expected: { action: 'ignored', ignoredBy: { pattern: 'build/', file: '<options>', line: 2 } },
    reason: /^in build\/, ignored by <options>:2 \(build\/\)$/,
  },
  {
    name: 'a remote sub-label the local tree lacks: downloaded into a new directory',
    facts: facts({ remote: new Map([[`${LABEL}/docs`, [remote('guide.md', 'r')]]]) }),
    path: 'docs/guide.md',
    expected: { action: 'download', label: `${LABEL}/docs`, name: 'guide.md' },
    reason: /in CFS, not present locally/,
  },
];

describe('decideSync (the decision table, no I/O)', () => {
  it.each(rows)('$name', (row) => {
    const decided = decideSync(row.facts, row.options ?? BACKUP);
    const found = entry(decided, row.path);
    expect(found).toMatchObject(row.expected);
    expect(found.reason).toMatch(row.reason);
  });

  it('a skipped link and a remote file of the same name give exactly one entry', () => {
    const decided = decideSync(rows.find((row) => row.name.startsWith('a skipped symbolic link CFS'))!.facts, BACKUP);
    expect(decided.entries.map((decidedEntry) => decidedEntry.path)).toEqual(['link']);
  });

  it('lists every synced directory with its label, ignored ones left out, sorted', () => {
    const decided = decideSync(
      facts({
        files: [local('b/one.txt')],
        remote: new Map([
          [`${LABEL}/z`, []],
          [`${LABEL}/build`, [remote('x', 'r')]],
          [LABEL, []],
        ]),
      }),
      BACKUP,
    );
    expect(decided.directories).toEqual([
      { path: '', label: LABEL },
      { path: 'b', label: `${LABEL}/b` },
      { path: 'z', label: `${LABEL}/z` },
    ]);
  });

  it('a local directory that does not exist yet still covers the root', () => {
    const decided = decideSync(facts({ localDirs: new Map(), localExists: false, remote: new Map([[LABEL, [remote('a', 'r')]]]) }), BACKUP);
    expect(decided.directories).toEqual([{ path: '', label: LABEL }]);
    expect(decided.entries.map((decidedEntry) => [decidedEntry.path, decidedEntry.action])).toEqual([['a', 'download']]);
  });

  it('sorts the entries by path, ignored ones among the others', () => {
    const ignored: IgnoredEntry[] = [{ rel: 'm.sock', isDir: false, reason: 'not a regular file (FIFO, socket or device)' }];
    const decided = decideSync(facts({ files: [local('z.txt'), local('a.txt')], ignored, remote: new Map([[LABEL, [remote('k.txt', 'r')]]]) }), BACKUP);
    expect(decided.entries.map((decidedEntry) => decidedEntry.path)).toEqual(['a.txt', 'k.txt', 'm.sock', 'z.txt']);
  });

  it('refuses a remote name or label that would escape the directory', () => {
    expect(() => decideSync(facts({ remote: new Map([[LABEL, [remote('..', 'r')]]]) }), BACKUP)).toThrow(UnsafePathError);
    expect(() => decideSync(facts({ remote: new Map([[LABEL, [remote('a/b', 'r')]]]) }), BACKUP)).toThrow(UnsafePathError);
    expect(() => decideSync(facts({ remote: new Map([['/elsewhere', []]]) }), BACKUP)).toThrow(UnsafePathError);
    expect(() => decideSync(facts({ remote: new Map([[`${LABEL}/../x`, []]]) }), BACKUP)).toThrow(UnsafePathError);
  });

  it('refuses a remote name even in a directory the rules ignore', () => {
    expect(() => decideSync(facts({ remote: new Map([[`${LABEL}/build`, [remote('.cfs', 'r')]]]) }), BACKUP)).toThrow(UnsafePathError);
  });

  it('is deterministic: the same facts give the same decision', () => {
    const input = bothSides('l', 'r', 'older');
    expect(decideSync(input, BACKUP)).toEqual(decideSync(input, BACKUP));
  });
});

describe('summarize', () => {
  it('counts files and bytes per action; ignored entries count files only', () => {
    const decided = decideSync(
      facts({
        files: [local('up.txt', 10), local('same.txt', 5)],
        remote: new Map([[LABEL, [remote('down.txt', 'r', 7), remote('same.txt', 's', 5), remote('x.log', 'r', 99)]]]),
        localChecksums: new Map([['same.txt', 's']]),
      }),
      BACKUP,
    );
    expect(summarize(decided.entries)).toEqual({
      upload: { files: 1, bytes: 10 },
      download: { files: 1, bytes: 7 },
      conflict: { files: 0, bytes: 0 },
      unchanged: { files: 1, bytes: 5 },
      ignored: { files: 1 },
    });
  });
});
