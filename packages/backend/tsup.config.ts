import { defineConfig } from 'tsup';
import { createTsupConfig } from '../../tsup.config.base.ts';

// Two entries: the contract and kit (`.`), and the conformance suites (`./test`).
export default defineConfig(createTsupConfig({ entry: { index: 'src/index.ts', 'test/index': 'src/test/index.ts' } }));
