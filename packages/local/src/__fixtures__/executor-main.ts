// An executor process for the end-to-end tests (they kill -9 it mid-job):
// `node --conditions=@pollinator/source --import tsx executor-main.ts <config.json>`.
// Prints one JSON line per executor event on stdout.
import { readFileSync } from 'node:fs';
import { createLocalBlobStore } from '@pollinator/cfs-sync';
import { createColoniesClient } from '@pollinator/colonies-client';
import { runExecutor } from '@pollinator/core';
import { createLocalBackend } from '../index';

const config = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as {
  url: string;
  privateKey: string;
  colonyName: string;
  executorName: string;
  blobDir: string;
  fsDir: string;
  stateDir: string;
};
const client = createColoniesClient({ url: config.url, privateKey: config.privateKey, colonyName: config.colonyName });
const executor = runExecutor({
  client: client,
  backend: createLocalBackend({ mode: 'process', stopGraceSeconds: 2 }),
  cfs: { store: createLocalBlobStore({ dir: config.blobDir }) },
  fsDir: config.fsDir,
  stateDir: config.stateDir,
  executorName: config.executorName,
  assignTimeoutSeconds: 1,
  watchIntervalMs: 250,
  handleSignals: true,
  onEvent: (event) => process.stdout.write(`${JSON.stringify({ ...event, cause: undefined })}\n`),
});
executor.ready.then(
  () => process.stdout.write(`${JSON.stringify({ type: 'ready' })}\n`),
  (error: unknown) => {
    process.stderr.write(`executor failed to start: ${String(error)}\n`);
    process.exit(1);
  },
);
await executor.done;
