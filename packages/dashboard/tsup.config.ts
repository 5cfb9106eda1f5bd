import { defineConfig } from 'tsup';
import { createTsupConfig } from '../../tsup.config.base.ts';

export default defineConfig(createTsupConfig());
