import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ResumeJournal } from './blob-store';

/**
 * What cfs-sync remembers about one synced directory, outside the directory
 * itself (a file inside it would be uploaded by the Go client):
 * the stat cache (path, size, mtime, ctime, inode → SHA-256) and, per file,
 * the checksum it had when it was last in sync with CFS (to tell a local edit
 * from a stale copy when the remote side wins a conflict).
 */
export interface StatEntry {
  size: number;
  mtimeNs: string;
  ctimeNs: string;
  ino: string;
  sha256: string;
  /** Checksum of the revision this file last matched in CFS. */
  synced?: string;
  /** Hashed so soon after its last modification that a same-tick rewrite could go unseen: re-hash next time. */
  racy?: boolean;
}

export interface StatIdentity {
  size: number;
  mtimeNs: bigint;
  ctimeNs: bigint;
  ino: bigint;
}

interface StateFile {
  version: 1;
  dir: string;
  label: string;
  files: Record<string, StatEntry>;
}

/** The default state directory: $POLLINATOR_CACHE_DIR, else $XDG_CACHE_HOME/pollinator/cfs-sync, else ~/.cache/pollinator/cfs-sync. */
export function defaultStateDir(env: Record<string, string | undefined> = process.env): string {
  if (env.POLLINATOR_CACHE_DIR) return join(env.POLLINATOR_CACHE_DIR, 'cfs-sync');
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'pollinator', 'cfs-sync');
}

const digest = (...parts: string[]) => createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 40);

/** A stat identity matches an entry only when size, mtime, ctime and inode are all equal. */
export function sameStat(entry: StatEntry | undefined, stat: StatIdentity): entry is StatEntry {
  return (
    entry !== undefined &&
    entry.size === stat.size &&
    entry.mtimeNs === String(stat.mtimeNs) &&
    entry.ctimeNs === String(stat.ctimeNs) &&
    entry.ino === String(stat.ino)
  );
}

/**
 * "Racy" entries (git's term): a file modified within one timestamp tick of
 * being hashed could change again without its mtime moving. Such entries are
 * re-hashed on the next sync. The window is 100 ms for nanosecond timestamps
 * and 2 s when the file system only keeps whole seconds.
 */
function isRacy(mtimeNs: bigint): boolean {
  const now = BigInt(Date.now()) * 1_000_000n;
  const window = mtimeNs % 1_000_000_000n === 0n ? 2_000_000_000n : 100_000_000n;
  return now - mtimeNs < window;
}

export class SyncState {
  private dirty = false;

  private constructor(
    private readonly path: string | undefined,
    private readonly stateDir: string | undefined,
    private readonly key: string,
    private readonly data: StateFile,
  ) {}

  /** Loads the state of (`dir`, `label`); `stateDir: false` keeps it in memory only. */
  static async load(stateDir: string | false, dir: string, label: string): Promise<SyncState> {
    const key = digest(dir, label);
    const empty: StateFile = { version: 1, dir, label, files: {} };
    if (stateDir === false) return new SyncState(undefined, undefined, key, empty);
    const path = join(stateDir, `${key}.json`);
    let data = empty;
    try {
      const parsed = JSON.parse(await readFile(path, 'utf8')) as StateFile;
      if (parsed.version === 1 && parsed.dir === dir && parsed.label === label && typeof parsed.files === 'object') data = parsed;
    } catch {
      // missing or corrupt: start empty (the cache is only a hint)
    }
    return new SyncState(path, stateDir, key, data);
  }

  get(rel: string): StatEntry | undefined {
    return this.data.files[rel];
  }

  /** A checksum for `rel` if the cached stat still matches; never trusted over a changed size/mtime/ctime/inode. */
  cachedChecksum(rel: string, stat: StatIdentity): string | undefined {
    const entry = this.data.files[rel];
    return sameStat(entry, stat) && !entry.racy ? entry.sha256 : undefined;
  }

  record(rel: string, stat: StatIdentity, sha256: string, synced: string | undefined): void {
    this.data.files[rel] = {
      size: stat.size,
      mtimeNs: String(stat.mtimeNs),
      ctimeNs: String(stat.ctimeNs),
      ino: String(stat.ino),
      sha256,
      ...(synced ? { synced } : {}),
      ...(isRacy(stat.mtimeNs) ? { racy: true } : {}),
    };
    this.dirty = true;
  }

  forget(rel: string): void {
    if (rel in this.data.files) {
      delete this.data.files[rel];
      this.dirty = true;
    }
  }

  /** Writes the state atomically (temp file + rename) when it changed. */
  async save(): Promise<void> {
    if (!this.path || !this.dirty) return;
    await mkdir(this.stateDir!, { recursive: true });
    const temp = `${this.path}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(this.data));
    await rename(temp, this.path);
    this.dirty = false;
  }

  /**
   * A resume journal for the upload of `rel`: remembers the object key and the
   * store's multipart state, valid while the file's stat is unchanged.
   */
  uploadJournal(rel: string, stat: StatIdentity): UploadJournal {
    return new UploadJournal(this.stateDir ? join(this.stateDir, 'uploads', `${digest(this.key, rel)}.json`) : undefined, stat);
  }
}

interface JournalFile {
  size: number;
  mtimeNs: string;
  ino: string;
  key: string;
  store?: unknown;
}

export class UploadJournal implements ResumeJournal {
  private file: JournalFile | undefined;
  private stale: { key: string; store: unknown } | undefined;

  constructor(
    private readonly path: string | undefined,
    private readonly stat: StatIdentity,
  ) {}

  /** The object key of an interrupted upload of this same file content, if any. */
  async previousKey(): Promise<string | undefined> {
    if (!this.path) return undefined;
    try {
      const file = JSON.parse(await readFile(this.path, 'utf8')) as JournalFile;
      if (file.size === this.stat.size && file.mtimeNs === String(this.stat.mtimeNs) && file.ino === String(this.stat.ino)) {
        this.file = file;
        return file.key;
      }
      if (typeof file.key === 'string') this.stale = { key: file.key, store: file.store };
    } catch {
      // none
    }
    return undefined;
  }

  /**
   * After previousKey(): the key and store state of an interrupted upload of an
   * earlier version of this file (it changed since), which can never resume.
   */
  staleUpload(): { key: string; store: unknown } | undefined {
    return this.stale;
  }

  /** Starts (or continues) the journal for `key`. */
  begin(key: string): void {
    if (this.file?.key !== key) {
      this.file = { size: this.stat.size, mtimeNs: String(this.stat.mtimeNs), ino: String(this.stat.ino), key };
    }
  }

  async load(): Promise<unknown> {
    return this.file?.store;
  }

  async save(state: unknown): Promise<void> {
    if (!this.file) return;
    this.file.store = state;
    if (!this.path) return;
    await mkdir(join(this.path, '..'), { recursive: true });
    const temp = `${this.path}.tmp`;
    await writeFile(temp, JSON.stringify(this.file));
    await rename(temp, this.path);
  }

  async clear(): Promise<void> {
    if (this.file) this.file.store = undefined;
    if (this.path) await rm(this.path, { force: true });
  }
}
