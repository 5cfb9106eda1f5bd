import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadS3Sdk } from './s3-sdk';
import { createS3BlobStore, s3OptionsFromEnv } from './s3-blob-store';
import { testBlobStore } from './blob-store.test-helpers';
import { CfsError } from './errors';
import { newObjectKey } from './blob-store';
import { s3TestOptions, S3_SKIP_REASON } from './s3-test-env.test-helpers';

const MiB = 1024 * 1024;

describe('s3OptionsFromEnv (the Go client variables)', () => {
  it('reads AWS_S3_* with the endpoint as host:port', () => {
    expect(
      s3OptionsFromEnv({
        AWS_S3_ENDPOINT: '127.0.0.1:9000',
        AWS_S3_ACCESSKEY: 'ak',
        AWS_S3_SECRETKEY: 'sk',
        AWS_S3_BUCKET: 'b',
        AWS_S3_TLS: 'true',
      }),
    ).toEqual({ endpoint: '127.0.0.1:9000', accessKey: 'ak', secretKey: 'sk', bucket: 'b', region: 'us-east-1', tls: true, skipVerify: false });
    expect(s3OptionsFromEnv({})).toBeUndefined();
  });
  it('names the missing or malformed variable', () => {
    expect(() => s3OptionsFromEnv({ AWS_S3_ENDPOINT: 'h:1', AWS_S3_ACCESSKEY: 'a', AWS_S3_BUCKET: 'b' })).toThrow(/AWS_S3_SECRETKEY/);
    expect(() =>
      s3OptionsFromEnv({ AWS_S3_ENDPOINT: 'h:1', AWS_S3_ACCESSKEY: 'a', AWS_S3_SECRETKEY: 's', AWS_S3_BUCKET: 'b', AWS_S3_TLS: 'yes' }),
    ).toThrow(CfsError);
    expect(() => s3OptionsFromEnv({ AWS_S3_ENDPOINT: 'h:1/path', AWS_S3_ACCESSKEY: 'a', AWS_S3_SECRETKEY: 's', AWS_S3_BUCKET: 'b' })).toThrow(
      /host:port/,
    );
  });
});

const options = s3TestOptions();

describe.skipIf(!options)(`S3 blob store against Ceph RGW${S3_SKIP_REASON}`, () => {
  testBlobStore('s3 (Ceph RGW)', async () => createS3BlobStore({ ...options!, multipartThreshold: 5 * MiB, partSize: 5 * MiB }), {
    largeSize: 12 * MiB,
  });

  // An injected SDK client takes every request (its middleware is what the caller wants), the per-object ones included.
  testBlobStore('s3 (Ceph RGW) through an injected SDK client', async () => {
    const { S3Client } = loadS3Sdk();
    const client = new S3Client({
      endpoint: `http://${options!.endpoint}`,
      region: options!.region ?? 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: options!.accessKey, secretAccessKey: options!.secretKey },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const store = createS3BlobStore({ ...options!, client, multipartThreshold: 5 * MiB, partSize: 5 * MiB });
    // The store leaves an injected client alone when closed: this test owns it.
    return { ...store, close: async () => client.destroy() };
  }, { largeSize: 12 * MiB });

  it('makes many requests at once without a MaxListenersExceededWarning (the CLI would print it)', async () => {
    const store = createS3BlobStore(options!);
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const keys = Array.from({ length: 40 }, () => newObjectKey());
      await Promise.all(keys.map((key) => store.put(key, Readable.from([Buffer.from(key)]), { size: key.length })));
      await Promise.all(keys.map(async (key) => expect(await store.head(key)).toEqual({ size: key.length })));
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
      await store.close?.();
    }
  });

  it('rejects a wrong secret key with a SigV4 error (real signature checking)', async () => {
    const store = createS3BlobStore({ ...options!, secretKey: 'wrong-secret', createBucket: false });
    await expect(store.head(newObjectKey())).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
    await store.close?.();
  });

  it('uses lib-storage for large puts without a resume journal', async () => {
    const store = createS3BlobStore({ ...options!, multipartThreshold: 5 * MiB, partSize: 5 * MiB });
    const key = newObjectKey();
    const data = Buffer.alloc(11 * MiB, 7);
    await store.put(key, Readable.from([data]), { size: data.length });
    expect(await store.head(key)).toEqual({ size: data.length });
    await store.close?.();
  });
});
