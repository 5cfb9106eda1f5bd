import { createHash } from 'node:crypto';
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

/** A well-formed SHA-256 standing for the content called `tag` (records must carry real-looking checksums). */
const hex = (tag: string) => createHash('sha256').update(tag).digest('hex');

function remote(name: string, checksum: string, size = 4): FileData {
  return { name, checksum: hex(checksum), size, s3filename: `object-${name.replace(/[^A-Za-z0-9]/g, '_')}` };
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
    localChecksums: new Map([['a.txt', hex(localChecksum)]]),
    lastSynced: new Map(lastSynced === undefined ? [] : [['a.txt', hex(lastSynced)]]),
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
    expected: { action: 'download', size: 4, remoteChecksum: hex('r') },
    reason: /in CFS, not present locally/,
  },
  {
    name: 'same content on both sides: unchanged, local size',
    facts: bothSides('same', 'same'),
    path: 'a.txt',
    expected: { action: 'unchanged', size: 3, localChecksum: hex('same'), remoteChecksum: hex('same') },
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
    name: 'differ, keepLocal, CFS unchanged since the last sync (a local edit): conflict uploaded as a new revision',
    facts: bothSides('l', 'r', 'r'),
    options: { keepLocal: true, onConflict: 'fail' },
    path: 'a.txt',
    expected: { action: 'conflict', resolution: 'upload', size: 3 },
    reason: /changed locally since the last sync \(CFS unchanged since\): the local version is uploaded/,
  },
  {
    name: 'differ, keepLocal, CFS changed since the last sync (stale local copy): refused as remote-changed',
    facts: bothSides('l', 'r', 'older'),
    options: { keepLocal: true, onConflict: 'backup' },
    path: 'a.txt',
    expected: { action: 'conflict', resolution: 'refuse', size: 3, localSize: 3, detail: expect.stringMatching(/newer revision than the one this directory last synced/) },
    reason: /^remote-changed$/,
  },
  {
    name: 'differ, keepLocal, never synced here: stale as well (refused as remote-changed)',
    facts: bothSides('l', 'r'),
    options: { keepLocal: true, onConflict: 'backup' },
    path: 'a.txt',
    expected: { action: 'conflict', resolution: 'refuse', detail: expect.stringMatching(/no record of syncing it/) },
    reason: /^remote-changed$/,
  },
  {
    name: 'differ, keepLocal, local never edited but CFS moved on (v1 here, v2 there): stale, not uploaded over v2',
    facts: bothSides('v1', 'v2', 'v1'),
    options: { keepLocal: true, onConflict: 'backup' },
    path: 'a.txt',
    expected: { action: 'conflict', resolution: 'refuse' },
    reason: /^remote-changed$/,
  },
  {
    name: 'stale with force: uploaded',
    facts: bothSides('l', 'r', 'older'),
    options: { keepLocal: true, onConflict: 'backup', force: true },
    path: 'a.txt',
    expected: { action: 'conflict', resolution: 'upload', detail: expect.stringMatching(/forced/) },
    reason: /^remote-changed$/,
  },
  {
    name: 'download direction: a local-only file is left alone',
    facts: facts({ files: [local('mine.txt', 5)] }),
    options: { keepLocal: false, onConflict: 'backup', direction: 'download' },
    path: 'mine.txt',
    expected: { action: 'local-only', size: 5 },
    reason: /leaves it alone \(not uploaded\)/,
  },
  {
    name: 'download direction ignores keepLocal: the remote version wins, the edit is backed up',
    facts: bothSides('l', 'r', 'older'),
    options: { keepLocal: true, onConflict: 'backup', direction: 'download' },
    path: 'a.txt',
    expected: { action: 'conflict', resolution: 'backup-and-download' },
    reason: /remote version wins/,
  },
  {
    name: 'an unreadable local file CFS lacks: unreadable, not upload',
    facts: facts({ files: [local('secret.txt', 5)], unreadable: new Map([['secret.txt', 'EACCES: permission denied']]) }),
    options: { keepLocal: true, onConflict: 'backup' },
    path: 'secret.txt',
    expected: { action: 'unreadable', size: 5 },
    reason: /cannot read the local file \(EACCES: permission denied\)/,
  },
  {
    name: 'an unreadable local file CFS has too: unreadable',
    facts: facts({ files: [local('a.txt')], remote: new Map([[LABEL, [remote('a.txt', 'r')]]]), unreadable: new Map([['a.txt', 'EIO: i/o error']]) }),
    path: 'a.txt',
    expected: { action: 'unreadable' },
    reason: /EIO/,
  },
  {
    name: 'a remote record with a malformed checksum: invalid-remote, skipped',
    facts: facts({ remote: new Map([[LABEL, [{ name: 'bad.txt', checksum: 'not-a-sha', size: 3, s3filename: 'k' }]]]) }),
    path: 'bad.txt',
    expected: { action: 'invalid-remote' },
    reason: /checksum "not-a-sha" is not a SHA-256/,
  },
  {
    name: 'an ignored remote file with a malformed record: just ignored (not skipped, the sync is not partial)',
    facts: facts({ remote: new Map([[LABEL, [{ name: 'run.log', checksum: 'garbage', size: 3, s3filename: 'k' }]]]) }),
    path: 'run.log',
    expected: { action: 'ignored' },
    reason: /ignored by <options>:1/,
  },
  {
    name: 'a remote record with an unusable object key: invalid-remote',
    facts: facts({ remote: new Map([[LABEL, [{ name: 'bad.txt', checksum: hex('x'), size: 3, s3filename: '../k' }]]]) }),
    path: 'bad.txt',
    expected: { action: 'invalid-remote' },
    reason: /object key "..\/k"/,
  },
  {
    name: 'a broken remote record under a local file, keepLocal: the local version is uploaded over it',
    facts: facts({ files: [local('a.txt')], remote: new Map([[LABEL, [{ name: 'a.txt', checksum: 'zz', size: -1, s3filename: 'k' }]]]) }),
    options: { keepLocal: true, onConflict: 'backup' },
    path: 'a.txt',
    expected: { action: 'upload', size: 3 },
    reason: /record is unusable/,
  },
  {
    name: 'differ, local unchanged since the last sync: plain download',
    facts: bothSides('l', 'r', 'l'),
    path: 'a.txt',
    expected: { action: 'download', size: 4, localChecksum: hex('l') },
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

  it('skips a remote name that would escape the directory (invalid-remote), and refuses such a label', () => {
    for (const name of ['..', 'a/b', '.cfs', 'nul\0byte', 'a\\..\\b']) {
      const decided = decideSync(facts({ remote: new Map([[LABEL, [remote(name, 'r')]]]) }), BACKUP);
      expect(decided.entries.map((found) => [found.action, found.name])).toEqual([['invalid-remote', name]]);
      expect(decided.entries[0]!.reason).toMatch(/unsafe name/);
    }
    expect(() => decideSync(facts({ remote: new Map([['/elsewhere', []]]) }), BACKUP)).toThrow(UnsafePathError);
    expect(() => decideSync(facts({ remote: new Map([[`${LABEL}/../x`, []]]) }), BACKUP)).toThrow(UnsafePathError);
  });

  it('an unsafe remote name in a directory the rules ignore stays ignored (never downloaded)', () => {
    const decided = decideSync(facts({ remote: new Map([[`${LABEL}/build`, [remote('.cfs', 'r')]]]) }), BACKUP);
    expect(decided.entries.map((found) => found.action)).toEqual(['ignored']);
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
        localChecksums: new Map([['same.txt', hex('s')]]),
      }),
      BACKUP,
    );
    expect(summarize(decided.entries)).toEqual({
      upload: { files: 1, bytes: 10 },
      download: { files: 1, bytes: 7 },
      conflict: { files: 0, bytes: 0 },
      unchanged: { files: 1, bytes: 5 },
      ignored: { files: 1 },
      localOnly: { files: 0, bytes: 0 },
      unreadable: { files: 0 },
      invalidRemote: { files: 0 },
      stale: { files: 0, bytes: 0 },
    });
  });

  it('counts stale conflicts (also under conflict), local-only, unreadable and invalid remote records', () => {
    const decided = decideSync(
      facts({
        files: [local('stale.txt', 6), local('mine.txt', 2), local('locked.txt', 1)],
        remote: new Map([[LABEL, [remote('stale.txt', 'v2', 9), { name: 'bad', checksum: '?', size: 1, s3filename: 'k' }, remote('locked.txt', 'r', 1)]]]),
        localChecksums: new Map([['stale.txt', hex('v1')]]),
        lastSynced: new Map([['stale.txt', hex('v1')]]),
        unreadable: new Map([['locked.txt', 'EACCES']]),
      }),
      { keepLocal: false, onConflict: 'backup', direction: 'download' },
    );
    // download direction: stale.txt is a plain download (unchanged locally since the last sync)
    expect(summarize(decided.entries)).toMatchObject({ download: { files: 1, bytes: 9 }, localOnly: { files: 1, bytes: 2 }, unreadable: { files: 1 }, invalidRemote: { files: 1 }, stale: { files: 0, bytes: 0 } });
    const both = decideSync(
      facts({
        files: [local('stale.txt', 6)],
        remote: new Map([[LABEL, [remote('stale.txt', 'v2', 9)]]]),
        localChecksums: new Map([['stale.txt', hex('v1')]]),
        lastSynced: new Map([['stale.txt', hex('v1')]]),
      }),
      { keepLocal: true, onConflict: 'backup' },
    );
    expect(summarize(both.entries)).toMatchObject({ conflict: { files: 1, bytes: 6 }, stale: { files: 1, bytes: 6 } });
  });
});
