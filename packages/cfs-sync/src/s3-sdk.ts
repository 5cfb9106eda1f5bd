import { createRequire } from 'node:module';
import type * as ClientS3 from '@aws-sdk/client-s3';
import type * as LibStorage from '@aws-sdk/lib-storage';

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
