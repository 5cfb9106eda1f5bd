import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, type BigIntStats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CfsError, SymlinkRefusedError } from './errors';
import { TEMP_PREFIX } from './paths';

/**
 * Flags for reading a file the sync did not create: never through a symbolic
 * link (a file swapped for one after the walk fails with ELOOP), and never
 * blocking on open (a FIFO a job made would otherwise wait for a writer).
 */
const READ_NO_FOLLOW = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * Opens `path` for reading only if it is a regular file reached without
 * following a symbolic link in its last component; FIFOs, devices, sockets and
 * directories are refused before a byte is read. `displayPath` names it in errors.
 */
export async function openRegularFile(path: string, displayPath = path): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(path, READ_NO_FOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new SymlinkRefusedError(displayPath, 'it was a regular file when the tree was walked and is now a symbolic link');
    }
    throw error;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new CfsError('SYNC_FAILED', `${displayPath} is not a regular file; refusing to read it`);
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** `openRegularFile` for small files: one synchronous open, fstat and read (microseconds from the page cache). */
export function readRegularFileSync(path: string, displayPath = path): { data: Buffer; stat: BigIntStats } {
  let fd: number;
  try {
    fd = openSync(path, READ_NO_FOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new SymlinkRefusedError(displayPath, 'it was a regular file when the tree was walked and is now a symbolic link');
    }
    throw error;
  }
  try {
    const stat = fstatSync(fd, { bigint: true });
    if (!stat.isFile()) throw new CfsError('SYNC_FAILED', `${displayPath} is not a regular file; refusing to read it`);
    return { data: stat.size === 0n ? Buffer.alloc(0) : readFileSync(fd), stat };
  } finally {
    closeSync(fd);
  }
}

/** The content of `path` when it is a regular file (never read through a link, a FIFO or a device); undefined otherwise. */
export async function readRegularFileIfPresent(path: string): Promise<Buffer | undefined> {
  const info = lstatSync(path, { throwIfNoEntry: false });
  if (!info?.isFile()) return undefined;
  const handle = await openRegularFile(path).catch(() => undefined);
  if (!handle) return undefined;
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/**
 * Writes `content` to `path` without ever writing through what is there: into
 * a new temporary file beside it (created exclusively, so a planted link at the
 * temporary name fails instead of being followed), then renamed over `path`
 * (a rename replaces a symbolic link, it does not follow it).
 */
export function replaceFileSync(path: string, content: string | Buffer): void {
  const temp = join(dirname(path), `${TEMP_PREFIX}${basename(path)}-${randomBytes(6).toString('hex')}`);
  try {
    writeFileSync(temp, content, { flag: 'wx' });
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}
