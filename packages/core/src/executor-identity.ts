/**
 * Who the executor is. Pre-registered (`colonies executor add … --approve`):
 * the client's own key. Self-registered (`register`): a generated key, added
 * and approved with the colony owner key, kept in the state file so that a
 * restarted executor is the same executor and the processes assigned to it
 * stay its own; removed at shutdown unless jobs are left for a restart.
 */
import os from 'node:os';
import { generatePrivateKey } from '@pollinator/crypto';
import { colonyOption, type ExecutorSettings } from './executor-options';
import { errorText } from './error-text';
import type { ExecutorConnection, ExecutorReporter } from './executor-reporter';
import type { ExecutorStateFile } from './executor-state';
import type { ExecutorCapabilities, ExecutorClient, ExecutorRegistration, ShutdownMode } from './executor-types';

/** Executor states (ColonyOS). */
const EXECUTOR_APPROVED = 1;

/** This machine, in the v1.9.6+ capabilities shape (used when registration gives none). */
export function defaultCapabilities(): ExecutorCapabilities {
  const cpus = os.cpus();
  return {
    hardware: [
      {
        model: cpus[0]?.model.trim() ?? '',
        nodes: 1,
        cpu: `${cpus.length * 1000}m`,
        cores: cpus.length,
        mem: `${Math.floor(os.totalmem() / 1024 ** 2)}Mi`,
        storage: '',
        gpu: { name: '', mem: '', count: 0, nodecount: 0 },
        platform: os.platform(),
        architecture: os.arch(),
        network: [],
      },
    ],
    software: [{ name: 'pollinator-executor', type: 'runtime', version: `node ${process.version}` }],
  };
}

export interface IdentityContext {
  settings: Pick<ExecutorSettings, 'client' | 'register' | 'colonyName'>;
  state: ExecutorStateFile;
  connection: ExecutorConnection;
}

/** Sets `connection.client` to the executor's own client, registering it first when `register` is given. */
export async function establishIdentity(context: IdentityContext): Promise<void> {
  const registration = context.settings.register;
  if (!registration) {
    if (!context.connection.client.id) throw new Error('runExecutor: the client has no private key (the executor key, COLONIES_PRVKEY)');
    return;
  }
  const resumed = await resumeRegistration(context, registration);
  context.connection.client = resumed ?? (await registerAnew(context, registration));
}

/** After a restart: the saved identity, if the colony still knows it (approved again if needed). */
async function resumeRegistration(context: IdentityContext, registration: ExecutorRegistration): Promise<ExecutorClient | undefined> {
  const saved = context.state.executor;
  if (!saved || saved.name !== registration.name) return undefined;
  const client = context.settings.client;
  const mine = client.as(saved.privateKey);
  try {
    const existing = await mine.getExecutor(registration.name, colonyOption(context.settings));
    if (existing.executorid !== saved.id) return undefined;
    if (existing.state !== EXECUTOR_APPROVED) {
      await client.as(registration.colonyPrivateKey).approveExecutor(registration.name, colonyOption(context.settings));
    }
    return mine;
  } catch {
    // gone (removed, or deleted as stale): register again with the same key
    return undefined;
  }
}

async function registerAnew(context: IdentityContext, registration: ExecutorRegistration): Promise<ExecutorClient> {
  const { client, colonyName } = context.settings;
  const owner = client.as(registration.colonyPrivateKey);
  const saved = context.state.executor;
  const privateKey = saved && saved.name === registration.name ? saved.privateKey : generatePrivateKey();
  const mine = client.as(privateKey);
  await owner.addExecutor({
    executorid: mine.id!,
    executorname: registration.name,
    executortype: registration.type ?? 'container-executor',
    ...(colonyName ? { colonyname: colonyName } : {}),
    ...(registration.locationName ? { locationname: registration.locationName } : {}),
    capabilities: registration.capabilities ?? defaultCapabilities(),
  });
  await owner.approveExecutor(registration.name, colonyOption(context.settings));
  context.state.setExecutor({ name: registration.name, id: mine.id!, privateKey });
  return mine;
}

/** Removes a self-registered executor at shutdown, unless it detached or left jobs for a restart. */
export async function removeIdentity(context: IdentityContext & { reporter: ExecutorReporter }, mode: ShutdownMode | undefined): Promise<void> {
  const registration = context.settings.register;
  if (!registration || registration.removeOnShutdown === false || mode === 'detach') return;
  if (context.state.jobs().length > 0) return; // jobs left for a restart: keep the identity
  try {
    const owner = context.settings.client.as(registration.colonyPrivateKey);
    await owner.removeExecutor(registration.name, colonyOption(context.settings));
    context.state.setExecutor(null);
  } catch (error) {
    context.reporter.warn(`could not remove executor ${registration.name}: ${errorText(error)}`, { cause: error });
  }
}
