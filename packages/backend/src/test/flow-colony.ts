/**
 * The colony the whole-flow suites (`testHostileJobs`, `testExecutorFlow`)
 * run against: an in-process dev-server, its local blob directory as the CFS
 * store, and clients for the user and the pre-registered executor. The
 * packages it needs (`@pollinator/core`, `@pollinator/dev-server`,
 * `@pollinator/cfs-sync`, `@pollinator/colonies-client`,
 * `@pollinator/spec-builder`, and for the forward case `@pollinator/crypto`
 * and `@pollinator/port-forward`) are optional peer dependencies, imported only
 * when a suite starts, so `@pollinator/backend` itself never depends on them.
 */
import { join } from 'node:path';
import type * as CfsSync from '@pollinator/cfs-sync';
import type { BlobStore } from '@pollinator/cfs-sync';
import type * as ColoniesClientPackage from '@pollinator/colonies-client';
import type { ColoniesClient } from '@pollinator/colonies-client';
import type * as Core from '@pollinator/core';
import type * as Crypto from '@pollinator/crypto';
import type * as DevServerPackage from '@pollinator/dev-server';
import type { DevServer } from '@pollinator/dev-server';
import type * as PortForward from '@pollinator/port-forward';
import type * as SpecBuilder from '@pollinator/spec-builder';

/** The optional peers, loaded. */
export interface FlowPackages {
  core: typeof Core;
  devServer: typeof DevServerPackage;
  cfsSync: typeof CfsSync;
  coloniesClient: typeof ColoniesClientPackage;
  specBuilder: typeof SpecBuilder;
  crypto: typeof Crypto;
  portForward: typeof PortForward;
}

/** Imports the optional peers; says which one is missing when one is. */
export async function loadFlowPackages(): Promise<FlowPackages> {
  const load = async <Module>(name: string, importer: () => Promise<Module>): Promise<Module> => {
    try {
      return await importer();
    } catch (error) {
      throw new Error(`the executor-flow suites need ${name} (an optional peer dependency of @pollinator/backend)`, { cause: error });
    }
  };
  const [core, devServer, cfsSync, coloniesClient, specBuilder, crypto, portForward] = await Promise.all([
    load('@pollinator/core', () => import('@pollinator/core')),
    load('@pollinator/dev-server', () => import('@pollinator/dev-server')),
    load('@pollinator/cfs-sync', () => import('@pollinator/cfs-sync')),
    load('@pollinator/colonies-client', () => import('@pollinator/colonies-client')),
    load('@pollinator/spec-builder', () => import('@pollinator/spec-builder')),
    load('@pollinator/crypto', () => import('@pollinator/crypto')),
    load('@pollinator/port-forward', () => import('@pollinator/port-forward')),
  ]);
  return { core, devServer, cfsSync, coloniesClient, specBuilder, crypto, portForward };
}

export interface FlowColony {
  packages: FlowPackages;
  server: DevServer;
  store: BlobStore;
  /** The colony's user (submits, cancels, reads logs). */
  user: ColoniesClient;
  /** The dev-server's pre-registered executor. */
  executorClient: ColoniesClient;
  close(): Promise<void>;
}

/** Starts a dev-server with its data under `root`. */
export async function startFlowColony(root: string): Promise<FlowColony> {
  const packages = await loadFlowPackages();
  const server = await packages.devServer.startDevServer({ dataDir: join(root, 'server') });
  const { colony, user, executor } = server.identities;
  const client = (privateKey: string) =>
    packages.coloniesClient.createColoniesClient({ url: server.url, privateKey, colonyName: colony.name });
  return {
    packages,
    server,
    store: packages.cfsSync.createLocalBlobStore({ dir: server.blobDir }),
    user: client(user.privateKey),
    executorClient: client(executor.privateKey),
    close: () => server.close(),
  };
}
