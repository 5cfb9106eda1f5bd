// The `COLONIES_*` variables a client of this dev-server needs, for the user or the executor identity,
// and `POLLINATOR_BLOB_DIR`: the local directory that holds CFS file contents here (there is no S3).
// The pollinator CLI reads it (a colony with no AWS_S3_ENDPOINT uses it as its blob store), so an env
// file of these variables points `pollinator run` at this server as is. The Go `colonies` CLI's process
// and log commands work with it too; its `fs` commands need S3 and do not.
import type { DevServerIdentities } from './dev-server';

export interface DevEnvironmentSource {
  identities: DevServerIdentities;
  host: string;
  port: number;
  blobDir: string;
}

export function devServerEnv(source: DevEnvironmentSource, as: 'user' | 'executor'): Record<string, string> {
  const { identities, host, port, blobDir } = source;
  const caller = as === 'executor' ? identities.executor : identities.user;
  return {
    COLONIES_SERVER_HOST: host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host,
    COLONIES_SERVER_PORT: String(port),
    COLONIES_SERVER_HTTP_PORT: String(port),
    COLONIES_TLS: 'false',
    COLONIES_SERVER_TLS: 'false',
    COLONIES_INSECURE: 'true',
    COLONIES_COLONY_NAME: identities.colony.name,
    COLONIES_COLONY_ID: identities.colony.id,
    COLONIES_COLONY_PRVKEY: identities.colony.privateKey,
    COLONIES_SERVER_ID: identities.serverOwner.id,
    COLONIES_SERVER_PRVKEY: identities.serverOwner.privateKey,
    COLONIES_PRVKEY: caller.privateKey,
    COLONIES_ID: caller.id,
    COLONIES_USER_NAME: identities.user.name,
    COLONIES_EXECUTOR_NAME: identities.executor.name,
    COLONIES_EXECUTOR_TYPE: identities.executor.type,
    COLONIES_EXECUTOR_ID: identities.executor.id,
    POLLINATOR_BLOB_DIR: blobDir,
  };
}
