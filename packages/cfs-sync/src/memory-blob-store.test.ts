import { createMemoryBlobStore } from './memory-blob-store';
import { testBlobStore } from './blob-store.test-helpers';

testBlobStore('memory', async () => createMemoryBlobStore(), { largeSize: 6 * 1024 * 1024 });
