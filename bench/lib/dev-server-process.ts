/**
 * A dev-server in a process of its own, as a real Colonies server would be,
 * optionally with a local executor (plain processes, files in S3) in that same
 * process: the whole-process benchmarks time `pollinator` commands against it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface DevServerProcess {
  child: ChildProcess;
  /** COLONIES_* of the colony's user, for the `pollinator` command. */
  env: Record<string, string>;
  url: string;
  privateKey: string;
  colonyName: string;
  stop(): Promise<void>;
}

export interface DevServerProcessOptions {
  dataDir: string;
  /** Also run a local executor (plain processes) with this S3 store for its files. */
  executor?: { fsDir: string; stateDir: string; s3: { endpoint: string; accessKey: string; secretKey: string; bucket: string; region: string } };
}

const PROGRAM = `
  import { startDevServer } from '@pollinator/dev-server';
  const options = JSON.parse(process.env.BENCH_DEV_SERVER_OPTIONS);
  const server = await startDevServer({ dataDir: options.dataDir });
  let executor;
  if (options.executor) {
    const { createColoniesClient } = await import('@pollinator/colonies-client');
    const { createS3BlobStore } = await import('@pollinator/cfs-sync');
    const { runExecutor } = await import('@pollinator/core');
    const { createLocalBackend } = await import('@pollinator/local');
    const identity = server.identities.executor;
    executor = runExecutor({
      client: createColoniesClient({ url: server.url, privateKey: identity.privateKey, colonyName: server.identities.colony.name }),
      backend: createLocalBackend({ mode: 'process' }),
      cfs: { store: createS3BlobStore(options.executor.s3) },
      fsDir: options.executor.fsDir,
      stateDir: options.executor.stateDir,
      executorName: identity.name,
    });
    await executor.ready;
  }
  const user = server.identities.user;
  process.stdout.write(JSON.stringify({ env: server.env('user'), url: server.url, privateKey: user.privateKey, colonyName: server.identities.colony.name }) + '\\n');
  process.on('SIGTERM', async () => {
    await executor?.stop();
    await server.close();
    process.exit(0);
  });
`;

export async function startDevServerProcess(options: DevServerProcessOptions): Promise<DevServerProcess> {
  const child = spawn(process.execPath, ['--conditions=@pollinator/source', '--import', 'tsx', '--input-type=module', '-e', PROGRAM], {
    stdio: ['ignore', 'pipe', 'inherit'],
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { ...process.env, BENCH_DEV_SERVER_OPTIONS: JSON.stringify(options) },
  });
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the dev-server process exited with ${code} before it listened`)));
  });
  const info = JSON.parse(first) as { env: Record<string, string>; url: string; privateKey: string; colonyName: string };
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    ...info,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
