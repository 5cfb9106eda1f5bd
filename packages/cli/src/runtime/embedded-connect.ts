import type { BlobStore } from '@pollinator/cfs-sync';
import type { ColoniesClient } from '@pollinator/colonies-client';
import type { Advertisement } from './embedded-advertisement';
import type { RunningExecutor } from './executor';

/** The embedded default as a command sees it: where it is, a client, its blob store. */
export interface EmbeddedColony {
  /** `<data dir>/embedded` */
  dir: string;
  url: string;
  client: ColoniesClient;
  colonyName: string;
  blobStore: BlobStore;
  /** `COLONIES_*` for other tools (user identity), and `POLLINATOR_BLOB_DIR`. */
  env: Record<string, string>;
  /** `this`: served by this process; `other`: by another pollinator process (pid). */
  server: 'this' | 'other';
  /** Who runs jobs: an executor in this process, the serving process's executor, or nobody. */
  executor: 'this' | 'server' | 'none';
  serverPid: number;
  /** What the serving process advertises (job runtime, concurrency, …). */
  advertisement: Advertisement;
  /** The in-process executor, when there is one. */
  runningExecutor?: RunningExecutor;
}

/** A client of the advertised server, with the user identity. */
export async function connectTo(advertisement: Advertisement, dir: string): Promise<Omit<EmbeddedColony, 'executor'>> {
  const { createColoniesClient } = await import('@pollinator/colonies-client');
  const { createLocalBlobStore } = await import('@pollinator/cfs-sync');
  const env = advertisement.env;
  return {
    dir,
    url: advertisement.url,
    client: createColoniesClient({
      url: advertisement.url,
      privateKey: env.COLONIES_PRVKEY,
      colonyName: advertisement.colonyName,
      colonyPrivateKey: env.COLONIES_COLONY_PRVKEY,
      serverPrivateKey: env.COLONIES_SERVER_PRVKEY,
    }),
    colonyName: advertisement.colonyName,
    blobStore: createLocalBlobStore({ dir: advertisement.blobDir }),
    env,
    server: 'other',
    serverPid: advertisement.pid,
    advertisement,
  };
}
