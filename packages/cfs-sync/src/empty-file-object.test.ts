import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BlobStore } from './blob-store';
import { EMPTY_SHA256 } from './hash';
import { createLocalBlobStore } from './local-blob-store';
import { createMemoryCfsMetadata } from './memory-metadata';
import { createS3BlobStore, type S3BlobStore } from './s3-blob-store';
import { loadS3Sdk } from './s3-sdk';
import { s3TestOptions, S3_SKIP_REASON } from './s3-test-env.test-helpers';
import { createSnapshot, ROOT_KEEP_FILE } from './snapshot';
import { syncDirectory } from './sync';
import type { CfsFile } from './types';
import { tempDir, TEST_LABEL, writeTree } from './sync.test-helpers';

/** The empty file's `addfilemsg` record the Go CLI wrote in conformance fixture 10-go-cli-cfs. */
async function goEmptyRecord(): Promise<CfsFile> {
  const fixture = JSON.parse(await readFile(new URL('../../test-utils/fixtures/rpc/10-go-cli-cfs.json', import.meta.url), 'utf8')) as {
    steps: { source?: string; request: { payloadtype: string; payloadJson: { file?: CfsFile } } }[];
  };
  return fixture.steps.find((step) => step.source === 'go-cli' && step.request.payloadtype === 'addfilemsg' && step.request.payloadJson.file?.size === 0)!.request
    .payloadJson.file!;
}

/** Uploads a tree with an empty file; returns the empty file's record. */
async function uploadEmpty(store: BlobStore): Promise<CfsFile> {
  const metadata = createMemoryCfsMetadata('dev');
  const dir = await tempDir();
  await writeTree(dir, { 'empty.txt': '', 'sub/also-empty': '', 'data.txt': 'x' });
  await syncDirectory({ dir, label: TEST_LABEL, metadata, store, keepLocal: true, stateDir: false });
  return metadata.revisions.find((file) => file.name === 'empty.txt')!;
}

/** The record as the Go client shapes it: same fields, size 0, the empty SHA-256, an object key. */
async function expectGoShape(record: CfsFile): Promise<void> {
  const go = await goEmptyRecord();
  expect(Object.keys(record).sort()).toEqual(Object.keys(go).sort());
  expect(Object.keys(record.ref.s3object).sort()).toEqual(Object.keys(go.ref.s3object).sort());
  expect(record).toMatchObject({ size: 0, checksum: go.checksum, checksumalg: go.checksumalg, ref: { protocol: 's3' } });
  expect(record.checksum).toBe(EMPTY_SHA256);
  expect(record.ref.s3object.object).toMatch(/^[0-9a-f]{64}$/);
}

describe('empty files get a zero-byte object (the Go executors GET every file of a snapshot)', () => {
  it('local blob store: the object file exists with 0 bytes; the record keeps the Go shape', async () => {
    const blobDir = await tempDir('blobs-');
    const record = await uploadEmpty(createLocalBlobStore({ dir: blobDir }));
    await expectGoShape(record);
    expect((await stat(join(blobDir, record.ref.s3object.object))).size).toBe(0);
  });

  it("createSnapshot's root placeholder gets its zero-byte object too", async () => {
    const metadata = createMemoryCfsMetadata('dev');
    const blobDir = await tempDir('blobs-');
    const store = createLocalBlobStore({ dir: blobDir });
    const dir = await tempDir();
    await writeTree(dir, { 'sub/only.txt': 'below the root only' });
    await syncDirectory({ dir, label: TEST_LABEL, metadata, store, keepLocal: true, stateDir: false });
    await createSnapshot({ metadata, store, label: TEST_LABEL, name: 'with-keep' });
    const keep = metadata.revisions.find((file) => file.name === ROOT_KEEP_FILE)!;
    expect(keep.size).toBe(0);
    expect((await stat(join(blobDir, keep.ref.s3object.object))).size).toBe(0);
  });
});

const options = s3TestOptions();

describe.skipIf(!options)(`empty files on S3 (Ceph RGW)${S3_SKIP_REASON}`, () => {
  let store: S3BlobStore;
  afterAll(async () => {
    await store?.close?.();
  });

  it('a raw GetObject of the empty file’s key returns 0 bytes, as the Go DownloadSnapshot does it', async () => {
    store = createS3BlobStore(options!);
    const record = await uploadEmpty(store);
    await expectGoShape(record);
    expect(record.ref.s3object.bucket).toBe(options!.bucket);
    const sdk = loadS3Sdk();
    const reply = await store.getInstance().send(new sdk.GetObjectCommand({ Bucket: options!.bucket, Key: record.ref.s3object.object }));
    expect(reply.ContentLength).toBe(0);
    expect((await reply.Body!.transformToByteArray()).length).toBe(0);
  });
});
