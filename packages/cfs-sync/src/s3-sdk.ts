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

const NODE_VERSION_WARNING_SWITCH = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

/**
 * Runs `create` (which makes an S3 client) without the SDK's warning that its
 * future versions will need a newer Node.js. The warning is about the SDK's
 * own upgrade path, not something a pollinator user can act on, and it was
 * printed on every command that touched S3. The SDK reads the switch while a
 * client is being made and then never warns again in this process; the
 * environment is restored at once so that jobs started later do not inherit it.
 */
export function withoutNodeVersionWarning<T>(create: () => T): T {
  const before = process.env[NODE_VERSION_WARNING_SWITCH];
  process.env[NODE_VERSION_WARNING_SWITCH] = 'true';
  try {
    return create();
  } finally {
    if (before === undefined) delete process.env[NODE_VERSION_WARNING_SWITCH];
    else process.env[NODE_VERSION_WARNING_SWITCH] = before;
  }
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
