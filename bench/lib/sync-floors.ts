/**
 * The floors of a small-file sync on this machine: what the servers take for
 * the requests a sync of N small files cannot avoid, made directly (no
 * pollinator code in between), in this process, N/`parallel` at a time as
 * cfs-sync makes them.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Agent } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createS3BlobStore, type CfsMetadata } from '@pollinator/cfs-sync';
import type { S3Settings } from './s3-settings';

// The AWS SDK copy cfs-sync itself loads (bench/ does not depend on the SDK: the little of it used here, typed by hand).
const requireFromCfsSync = createRequire(new URL('../../packages/cfs-sync/package.json', import.meta.url));
type Command = new (input: object) => object;
interface S3Sdk {
  S3Client: new (config: object) => { send(command: object): Promise<unknown>; destroy(): void };
  CreateBucketCommand: Command;
  PutObjectCommand: Command;
  GetObjectCommand: Command;
  ListObjectsV2Command: Command;
  DeleteObjectsCommand: Command;
  DeleteBucketCommand: Command;
}
const loadSdk = (): S3Sdk => requireFromCfsSync('@aws-sdk/client-s3') as S3Sdk;

export type { S3Settings } from './s3-settings';

async function pool(count: number, parallel: number, action: (index: number) => Promise<unknown>): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) await action(next++);
    }),
  );
  return (performance.now() - started) / 1000;
}

/** A fresh SDK client for the test S3 (path-style, plain HTTP), with `extra` settings. */
function sdkClient(s3: S3Settings, extra: object = {}): { sdk: S3Sdk; client: InstanceType<S3Sdk['S3Client']> } {
  const sdk = loadSdk();
  // Its advice to upgrade Node.js is no figure of this benchmark.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const client = new sdk.S3Client({
    endpoint: `http://${s3.endpoint}`,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKey, secretAccessKey: s3.secretKey },
    ...extra,
  });
  return { sdk, client };
}

/** `count` PutObjects of 1 KiB, then `count` GetObjects of them, through a fresh SDK client. */
export async function rawS3Floor(s3: S3Settings, count: number, parallel: number): Promise<{ putSeconds: number; getSeconds: number }> {
  const { sdk, client } = sdkClient(s3, {
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets: 128 }) },
  });
  try {
    await client.send(new sdk.CreateBucketCommand({ Bucket: s3.bucket })).catch(() => undefined);
    const keys = Array.from({ length: count }, () => randomBytes(32).toString('hex'));
    const data = randomBytes(1024);
    const putSeconds = await pool(count, parallel, (index) =>
      client.send(new sdk.PutObjectCommand({ Bucket: s3.bucket, Key: keys[index], Body: data, ContentLength: data.length })),
    );
    const getSeconds = await pool(count, parallel, async (index) => {
      const reply = (await client.send(new sdk.GetObjectCommand({ Bucket: s3.bucket, Key: keys[index] }))) as { Body: { transformToByteArray(): Promise<Uint8Array> } };
      await reply.Body.transformToByteArray();
    });
    return { putSeconds, getSeconds };
  } finally {
    client.destroy();
  }
}

/** The same through cfs-sync's S3 store (its direct SigV4 requests), without planning or metadata. */
export async function storeS3Floor(s3: S3Settings, count: number, parallel: number): Promise<{ putSeconds: number; getSeconds: number }> {
  const store = createS3BlobStore(s3);
  try {
    const keys = Array.from({ length: count }, () => randomBytes(32).toString('hex'));
    const data = randomBytes(1024);
    const putSeconds = await pool(count, parallel, (index) => store.put(keys[index]!, Readable.from([data]), { size: data.length }));
    const getSeconds = await pool(count, parallel, async (index) => {
      for await (const chunk of await store.get(keys[index]!, { size: data.length })) void chunk;
    });
    return { putSeconds, getSeconds };
  } finally {
    await store.close?.();
  }
}

/**
 * Deletes every object of the bench's own bucket, then the bucket. Ceph RGW
 * frees the space of deleted multipart objects only in its garbage collection
 * (hours later by default): with the repository's Ceph (scripts/services/
 * ceph-rgw-up.sh, a RAM-backed OSD of 4 GiB shared by every test) that runs
 * here at once, or a few 200 MiB runs fill the OSD and block every S3 write.
 */
export async function removeBenchBucket(s3: S3Settings, options: { keepBucket?: boolean } = {}): Promise<void> {
  const { sdk, client } = sdkClient(s3);
  try {
    for (;;) {
      const listed = (await client.send(new sdk.ListObjectsV2Command({ Bucket: s3.bucket })).catch(() => undefined)) as { Contents?: Array<{ Key: string }> } | undefined;
      const keys = (listed?.Contents ?? []).map((object) => ({ Key: object.Key }));
      if (keys.length === 0) break;
      await client.send(new sdk.DeleteObjectsCommand({ Bucket: s3.bucket, Delete: { Objects: keys, Quiet: true } }));
    }
    if (options.keepBucket !== true) await client.send(new sdk.DeleteBucketCommand({ Bucket: s3.bucket })).catch(() => undefined);
  } finally {
    client.destroy();
  }
  const cephDir = '/tmp/pollinator-ceph';
  if (existsSync(join(cephDir, 'ceph.conf'))) {
    spawnSync('radosgw-admin', ['-c', join(cephDir, 'ceph.conf'), '-k', join(cephDir, 'keyring'), 'gc', 'process', '--include-all'], { stdio: 'ignore', timeout: 120_000 });
  }
}

/** `count` `addfilemsg` RPCs (records of 1-byte files) through the metadata a sync uses. */
export async function rawAddFileFloor(metadata: CfsMetadata, colonyName: string, count: number, parallel: number): Promise<number> {
  const label = `/bench/floor-${randomBytes(4).toString('hex')}`;
  return pool(count, parallel, (index) =>
    metadata.addFile({
      fileid: '',
      colonyname: colonyName,
      label,
      name: `f${index}`,
      size: 1,
      sequencenr: 0,
      checksum: '0'.repeat(64),
      checksumalg: 'SHA256',
      added: '0001-01-01T00:00:00Z',
      ref: {
        protocol: 's3',
        s3object: { server: '', port: -1, tls: false, accesskey: '', secretkey: '', region: '', encryptionkey: '', encryptionalg: '', object: randomBytes(32).toString('hex'), bucket: '' },
      },
    }),
  );
}
