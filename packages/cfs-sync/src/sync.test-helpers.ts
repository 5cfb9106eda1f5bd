import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll } from 'vitest';
import { createHash } from 'node:crypto';
import { newObjectKey, type BlobStore } from './blob-store';
import { createMemoryBlobStore, type MemoryBlobStore } from './memory-blob-store';
import { createMemoryCfsMetadata } from './memory-metadata';
import type { CfsFile } from './types';

const created: string[] = [];
afterAll(async () => {
  await Promise.all(created.map((dir) => rm(dir, { recursive: true, force: true })));
});

export async function tempDir(prefix = 'cfs-sync-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** Writes `files` (relative POSIX path → content) under `root`. */
export async function writeTree(root: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    const path = join(root, ...rel.split('/'));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
  }
}

/** Every file under `root` (relative POSIX path → content as utf8), markers included. */
export async function readTree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const visit = async (dir: string, rel: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await visit(join(dir, entry.name), childRel);
      else out[childRel] = await readFile(join(dir, entry.name), 'utf8');
    }
  };
  await visit(root, '');
  return out;
}

/** path → mtime/size/ino of every entry, to prove that nothing was written. */
export async function fingerprint(root: string): Promise<string> {
  const lines: string[] = [];
  const visit = async (dir: string) => {
    for (const entry of (await readdir(dir, { withFileTypes: true }).catch(() => [])).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      const info = await stat(path, { bigint: true });
      lines.push(`${path} ${info.size} ${info.mtimeNs} ${info.ctimeNs} ${info.ino}`);
      if (entry.isDirectory()) await visit(path);
    }
  };
  await visit(root);
  return lines.join('\n');
}

export function withoutMarkers(tree: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tree).filter(([path]) => !path.endsWith('.cfs')));
}

/** SHA-256 of `text`, hex. */
export const sha = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

/** The label the sync tests use. */
export const TEST_LABEL = '/pollinator/proj/src';

/** A small tree: nested directories, an empty file, a unicode name. */
export const TEST_TREE = {
  'main.py': 'print("hello")\n',
  'empty.txt': '',
  'résumé 日本.txt': 'unicode name\n',
  'dirA/a.txt': 'A\n',
  'dirA/deep/d.txt': 'deep\n',
  'dirB/b.txt': 'B\n',
};

/** In-memory metadata (colony `dev`) and blob store, and a stat cache directory. */
export async function memorySetup() {
  const metadata = createMemoryCfsMetadata('dev');
  const store = createMemoryBlobStore();
  const stateDir = await tempDir('cfs-state-');
  return { metadata, store, stateDir };
}

/** A file record as another client would register it, its content put in `store` (none for an empty file). */
export function remoteRecord(label: string, name: string, content: string, store: MemoryBlobStore): CfsFile {
  const key = newObjectKey();
  if (content.length > 0) store.objects.set(key, Buffer.from(content));
  return {
    fileid: '',
    colonyname: 'dev',
    label,
    name,
    size: Buffer.byteLength(content),
    sequencenr: 0,
    checksum: sha(content),
    checksumalg: 'SHA256',
    ref: {
      protocol: 's3',
      s3object: { server: '', port: -1, tls: false, accesskey: '', secretkey: '', region: '', encryptionkey: '', encryptionalg: '', object: key, bucket: '' },
    },
    added: '0001-01-01T00:00:00Z',
  };
}

/**
 * The records the Go CLI registered in conformance fixture 10-go-cli-cfs
 * (`addfilemsg` of source go-cli), the contents the fixture knows (not the
 * unicode file's), and the tree a download of them gives.
 */
export async function goClientFixture(): Promise<{ written: CfsFile[]; contents: Record<string, string>; downloadedTree: Record<string, string> }> {
  const fixturePath = new URL('../../test-utils/fixtures/rpc/10-go-cli-cfs.json', import.meta.url);
  const fixture = JSON.parse(await readFile(fixturePath, 'utf8')) as {
    steps: { source?: string; request: { payloadtype: string; payloadJson: { file?: CfsFile } } }[];
  };
  const written = fixture.steps.filter((step) => step.source === 'go-cli' && step.request.payloadtype === 'addfilemsg').map((step) => step.request.payloadJson.file!);
  const contents: Record<string, string> = { 'main.py': 'print("hello from fixture")\n', 'a.txt': 'A\n', 'b.txt': 'B\n', 'd.txt': 'deep\n', 'empty.txt': '' };
  const downloadedTree = {
    'main.py': contents['main.py']!,
    'empty.txt': '',
    'dirA/a.txt': 'A\n',
    'dirA/deep/d.txt': 'deep\n',
    'dirB/b.txt': 'B\n',
  };
  return { written, contents, downloadedTree };
}

/** A store that loses the connection after `cutAfter` bytes of the first put. */
export function failingOnce(inner: BlobStore, cutAfter: number): BlobStore {
  let failOnce = true;
  return {
    ...inner,
    async put(key, body, options) {
      if (!failOnce) return inner.put(key, body, options);
      failOnce = false;
      let seen = 0;
      const cut = Readable.from(
        (async function* () {
          for await (const chunk of body as AsyncIterable<Buffer>) {
            seen += chunk.length;
            if (seen > cutAfter) throw new Error('connection reset (simulated)');
            yield chunk;
          }
        })(),
      );
      return inner.put(key, cut, options);
    },
  };
}
