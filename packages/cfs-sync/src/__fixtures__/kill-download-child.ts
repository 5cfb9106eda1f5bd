// Child process of the kill-during-download test: downloads a label from the
// dev-server (metadata) and a local blob directory whose reads are slowed
// down, printing one JSON line per progress event, until the parent kills it.
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { createColoniesClient } from '@pollinator/colonies-client';
import { cfsMetadataFromClient, createLocalBlobStore, syncDirectory, type BlobStore } from '../index';

const [url, privateKey, colonyName, blobDir, dir, label, stateDir] = process.argv.slice(2) as [string, string, string, string, string, string, string];
const local = createLocalBlobStore({ dir: blobDir });
const slow: BlobStore = {
  ...local,
  async get(key, options) {
    const body = await local.get(key, options);
    return Readable.from(
      (async function* () {
        for await (const chunk of body as AsyncIterable<Buffer>) {
          await sleep(25);
          yield chunk;
        }
      })(),
    );
  },
};
const client = createColoniesClient({ url, privateKey, colonyName });
await syncDirectory({
  dir,
  label,
  metadata: cfsMetadataFromClient(client),
  store: slow,
  keepLocal: false,
  stateDir,
  progressIntervalMs: 0,
  onEvent: (event) => {
    if (event.type === 'progress') process.stdout.write(`${JSON.stringify({ bytesDone: event.bytesDone })}\n`);
  },
});
process.stdout.write('{"done":true}\n');
