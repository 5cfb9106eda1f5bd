// Child of the lazy AWS SDK test (a fresh process, so nothing else loaded the
// SDK): prints whether any @aws-sdk module is loaded after importing the
// package, after creating an S3 store, and after the store's first use.
import { createRequire } from 'node:module';
import { sep } from 'node:path';

const moduleCache = createRequire(import.meta.url).cache;
const sdkLoaded = () => Object.keys(moduleCache).some((path) => path.includes(`${sep}@aws-sdk${sep}`));

const { createS3BlobStore } = await import('../index');
const afterImport = sdkLoaded();
const store = createS3BlobStore({ endpoint: '127.0.0.1:9', accessKey: 'a', secretKey: 's', bucket: 'b' });
const afterCreate = sdkLoaded();
const client = store.getInstance();
const afterUse = sdkLoaded();
await store.close?.();
console.log(JSON.stringify({ afterImport, afterCreate, afterUse, client: client.constructor.name }));
