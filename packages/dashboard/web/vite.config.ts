import { defineConfig } from 'vite';

// The SPA is built into the package's dist/web, which the dashboard server serves.
// Relative asset paths let it be served under any prefix; no source maps keep the
// shipped package small.
export default defineConfig({
  base: './',
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    assetsInlineLimit: 0,
  },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
});
