import { createMemoryBlobStore } from './memory-blob-store.ts';
import { testBlobStore } from './blob-store.test-helpers.ts';

testBlobStore('memory', async () => createMemoryBlobStore(), { largeSize: 6 * 1024 * 1024 });
