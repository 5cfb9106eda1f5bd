// What a data directory holds besides the database: the bootstrap identities
// (created once, mode 0600), and the server record and bootstrap colony,
// user and executor written into a fresh database.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { generatePrivateKey, idOf } from '@pollinator/crypto';
import type { NanoClock } from './clock';
import type { DevIdentity, DevServerIdentities, DevServerOptions } from './dev-server';
import { ExecutorState } from './model';
import { prepareStatements } from './statements';

interface StoredIdentities extends DevServerIdentities {
  version: 1;
}

type IdentityOptions = Pick<DevServerOptions, 'serverOwnerPrivateKey' | 'colonyName' | 'userName' | 'executorName' | 'executorType'>;

/** The identities of `dataDir/identities.json`, made and stored when the file is missing (`fresh`). */
export function loadOrCreateIdentities(dataDir: string, options: IdentityOptions): { identities: StoredIdentities; fresh: boolean } {
  const file = join(dataDir, 'identities.json');
  if (existsSync(file)) return { identities: JSON.parse(readFileSync(file, 'utf8')) as StoredIdentities, fresh: false };
  const identity = (privateKey = generatePrivateKey()): DevIdentity => ({ id: idOf(privateKey), privateKey });
  const identities: StoredIdentities = {
    version: 1,
    serverOwner: identity(options.serverOwnerPrivateKey),
    colony: { ...identity(), name: options.colonyName ?? 'dev' },
    user: { ...identity(), name: options.userName ?? 'dev-user' },
    executor: {
      ...identity(),
      name: options.executorName ?? 'dev-executor',
      type: options.executorType ?? 'container-executor',
    },
  };
  writeFileSync(file, `${JSON.stringify(identities, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { identities, fresh: true };
}

/** Stores the bootstrap colony, its user and its approved executor (call inside a transaction). */
function storeBootstrap(db: Database.Database, identities: DevServerIdentities, clock: NanoClock): void {
  const statements = prepareStatements(db);
  statements.colonies.insert(identities.colony.name, identities.colony.id);
  statements.users.insert({ colonyname: identities.colony.name, name: identities.user.name, userid: identities.user.id, email: '', phone: '' });
  statements.executors.insert({
    executorid: identities.executor.id,
    colonyname: identities.colony.name,
    name: identities.executor.name,
    type: identities.executor.type,
    state: ExecutorState.APPROVED,
    locationname: '',
    commissiontime: clock.now(),
    body: JSON.stringify({
      requirefuncreg: false,
      capabilities: { hardware: [], software: [] },
      allocations: { projects: {} },
    }),
  });
}

function storedServerId(db: Database.Database): string | undefined {
  const row: unknown = db.prepare('SELECT value FROM meta WHERE key = ?').get('serverid');
  if (row === undefined) return undefined;
  const value: unknown = row !== null && typeof row === 'object' && 'value' in row ? row.value : undefined;
  if (typeof value !== 'string') throw new Error('[pollinator] [dev-server] the stored server id is not text');
  return value;
}

/**
 * The server id of this database. A new database gets the server owner's id,
 * and — when the identities are `fresh` and `bootstrap` is on — the bootstrap
 * colony, user and executor, in the same transaction.
 */
export function initialiseServer(
  db: Database.Database,
  { identities, fresh, bootstrap }: { identities: DevServerIdentities; fresh: boolean; bootstrap: boolean },
  clock: NanoClock,
): string {
  const existing = storedServerId(db);
  if (existing !== undefined) return existing;
  db.transaction(() => {
    db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('serverid', identities.serverOwner.id);
    if (fresh && bootstrap) storeBootstrap(db, identities, clock);
  })();
  return identities.serverOwner.id;
}
