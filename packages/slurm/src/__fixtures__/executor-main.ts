/**
 * An executor process for the restart test: `runExecutor` + the Slurm backend,
 * configured by the E2E_EXECUTOR JSON env variable, printing its events as JSON
 * lines. The test kills it with SIGKILL mid-job.
 */
import { createLocalBlobStore } from '@pollinator/cfs-sync';
import { createColoniesClient } from '@pollinator/colonies-client';
import { runExecutor } from '@pollinator/core';
import { createSlurmBackend } from '../slurm-backend';

const config = JSON.parse(process.env.E2E_EXECUTOR ?? '{}') as {
  url: string;
  privateKey: string;
  colonyName: string;
  blobDir: string;
  fsDir: string;
  stateDir: string;
};
const client = createColoniesClient({ url: config.url, privateKey: config.privateKey, colonyName: config.colonyName });
const executor = runExecutor({
  client,
  backend: createSlurmBackend({ runtime: 'none' }),
  cfs: { store: createLocalBlobStore({ dir: config.blobDir }) },
  fsDir: config.fsDir,
  stateDir: config.stateDir,
  assignTimeoutSeconds: 1,
  watchIntervalMs: 500,
  onEvent: (event) => console.log(JSON.stringify({ type: event.type, processId: 'processId' in event ? event.processId : undefined })),
});
await executor.done;
