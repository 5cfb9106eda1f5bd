import { createRequire } from 'node:module';
import type * as ClientS3 from '@aws-sdk/client-s3';
import type * as LibStorage from '@aws-sdk/lib-storage';
import type { S3Client } from '@aws-sdk/client-s3';

// The AWS SDK is loaded on first use by an S3 store, never when the package is
// imported: loading it costs about half a second to a second, which every
// `plan` and `run` used to pay even with a local or memory store.
//
// Loaded with `require`, synchronously, so `S3BlobStore.getInstance()` stays
// synchronous. It is the same module instance an `import` would give: neither
// package has an `exports` map, and Node resolves both to their CommonJS `main`.
const requireFromHere = createRequire(import.meta.url);

let clientS3: typeof ClientS3 | undefined;
let libStorage: typeof LibStorage | undefined;

/** `@aws-sdk/client-s3`, loaded on the first call. */
export function loadS3Sdk(): typeof ClientS3 {
  return (clientS3 ??= requireFromHere('@aws-sdk/client-s3') as typeof ClientS3);
}

/** `@aws-sdk/lib-storage` (multipart uploads without a resume journal), loaded on the first call. */
export function loadS3Upload(): typeof LibStorage {
  return (libStorage ??= requireFromHere('@aws-sdk/lib-storage') as typeof LibStorage);
}

/** What the multipart upload and the ranged download of an S3 store work with. */
export interface S3Access {
  sdk: typeof ClientS3;
  client: S3Client;
  bucket: string;
  partSize: number;
  /** Parts in flight at once. */
  partConcurrency: number;
}

/** The S3 error name of an SDK failure (`NoSuchKey`, `NoSuchUpload`, …), or "". */
export function errorName(error: unknown): string {
  return (error as { name?: string }).name ?? '';
}

/** The HTTP status of an SDK failure, when it got an answer. */
export function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}
