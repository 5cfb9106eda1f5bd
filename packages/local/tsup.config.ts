import { defineConfig } from 'tsup';
import { createTsupConfig } from '../../tsup.config.base.ts';

// Two entries: the library (`index`) and the job supervisor, which the backend
// starts as its own `node` process from dist/supervisor/main.js (see
// src/supervisor-command.ts). Only the library has type declarations.
export default defineConfig(
  createTsupConfig({ entry: ['src/index.ts', 'src/supervisor/main.ts'], dts: { entry: 'src/index.ts' } }),
);
