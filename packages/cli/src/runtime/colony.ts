import type { BlobStore } from '@pollinator/cfs-sync';
import type { ColoniesClient } from '@pollinator/colonies-client';
import type { CommandContext } from '../context';
import { CliError } from '../errors';
import { CliExitCode } from '../exit-codes';
import { tildify } from '../config/paths';
import type { EmbeddedColony } from './embedded';

/** Where commands send their requests: a configured colony or the embedded default. */
export interface ColonyConnection {
  mode: 'colony' | 'embedded';
  client: ColoniesClient;
  colonyName: string;
  /** File contents: the colony's S3 bucket, or the embedded default's local directory. Created on first use. */
  blobStore(): Promise<BlobStore>;
  dashboardUrl: string | undefined;
  /** One line for humans: where this is going. */
  description: string;
  /** Embedded default only. */
  embedded?: EmbeddedColony;
}

export interface ConnectOptions {
  /**
   * The command needs jobs to run. Kept for the callers: on the embedded
   * default the background service (or `pollinator dev`) always runs an
   * executor, and no command runs one in its own process any more.
   */
  executor?: boolean;
  /**
   * The command changes nothing (`plan`, `funcspec`): on the embedded default
   * with no state yet, use a throw-away server instead of creating the state
   * directory.
   */
  readOnly?: boolean;
}

/**
 * Connects to the colony in effect. With `COLONIES_SERVER_HOST` set (in the
 * environment or the profile), that colony, with the original Pollinator's
 * variables; otherwise the embedded default (its background service, started
 * when neither it nor a `pollinator dev` is running).
 */
export async function connectColony(context: CommandContext, options: ConnectOptions = {}): Promise<ColonyConnection> {
  const config = context.config;
  if (config.mode === 'embedded') {
    // Loaded only here: a configured colony's commands (`status` and the like) start without it.
    const { openEmbeddedColony } = await import('./embedded');
    const embedded = await openEmbeddedColony(context, { readOnly: options.readOnly === true });
    return {
      mode: 'embedded',
      client: embedded.client,
      colonyName: embedded.colonyName,
      blobStore: async () => embedded.blobStore,
      dashboardUrl: config.env.COLONYOS_DASHBOARD_URL,
      description: `embedded default (${tildify(embedded.dir, context.env)})`,
      embedded,
    };
  }

  const { createColoniesClient, loadColoniesConfig, ColoniesConfigError } = await import('@pollinator/colonies-client');
  let colonies;
  try {
    colonies = loadColoniesConfig(config.env);
  } catch (error) {
    if (ColoniesConfigError.isInstance(error)) {
      const issues = error.issues;
      throw new CliError('The colony configuration is incomplete', {
        why: `COLONIES_SERVER_HOST is set, so pollinator talks to that colony, but ${issues.length === 1 ? 'one variable is' : `${issues.length} variables are`} missing or malformed`,
        fix: 'Set them (in the environment or a profile, see `pollinator config`), or unset COLONIES_SERVER_HOST to use the embedded default.',
        details: issues.map((issue) => issue.message),
        exitCode: CliExitCode.CONFIG,
        code: 'CONFIG',
        cause: error,
      });
    }
    throw error;
  }
  const client = createColoniesClient({
    url: colonies.url,
    skipTlsVerify: colonies.skipTlsVerify,
    privateKey: colonies.privateKey,
    colonyName: colonies.colonyName,
    colonyPrivateKey: colonies.colonyPrivateKey,
    serverPrivateKey: colonies.serverPrivateKey,
  });
  context.output.debug(`colony ${colonies.colonyName} at ${colonies.url}`);
  let store: Promise<BlobStore> | undefined;
  return {
    mode: 'colony',
    client,
    colonyName: colonies.colonyName,
    blobStore: () => (store ??= openS3Store(context)),
    dashboardUrl: colonies.dashboardUrl,
    description: `colony ${colonies.colonyName} at ${colonies.url}`,
  };
}

async function openS3Store(context: CommandContext): Promise<BlobStore> {
  const { createS3BlobStore, s3OptionsFromEnv } = await import('@pollinator/cfs-sync');
  let options;
  try {
    options = s3OptionsFromEnv(context.config.env);
  } catch (error) {
    throw new CliError('The S3 configuration is invalid', {
      why: (error as Error).message.replace(/^(\[[^\]]+\]\s*)+/, ''),
      fix: 'Fix the AWS_S3_* variables (`pollinator config` shows them).',
      exitCode: CliExitCode.CONFIG,
      code: 'CONFIG',
      cause: error,
    });
  }
  if (options === undefined) {
    // A colony on this machine with no S3 (the embedded default used through its env file): its local blob directory.
    const blobDir = context.config.env.POLLINATOR_BLOB_DIR;
    if (blobDir !== undefined && blobDir !== '') {
      const { createLocalBlobStore } = await import('@pollinator/cfs-sync');
      return createLocalBlobStore({ dir: blobDir });
    }
    throw new CliError('No S3 storage is configured for this colony', {
      why: 'files go to the colony\'s S3 bucket, and AWS_S3_ENDPOINT is not set',
      fix: 'Set AWS_S3_ENDPOINT (host:port), AWS_S3_ACCESSKEY, AWS_S3_SECRETKEY and AWS_S3_BUCKET as for the original Pollinator (ask your colony\'s administrator); for a colony on this machine, POLLINATOR_BLOB_DIR names a local directory instead.',
      exitCode: CliExitCode.CONFIG,
      code: 'CONFIG',
    });
  }
  const store = createS3BlobStore(options);
  context.onCleanup(async () => store.close?.());
  return store;
}
