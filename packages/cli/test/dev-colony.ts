import { spawn } from 'node:child_process';
import { createColoniesClient, loadColoniesConfig, type ColoniesClient } from '@pollinator/colonies-client';
import { cliCommand, definedOnly, type Sandbox } from './cli-harness';

/** A `pollinator dev` running in the background for one test, and a client of its colony. */
export interface DevColony {
  /** The COLONIES_* environment it printed. */
  env: Record<string, string>;
  /** A client of the embedded colony with its user key (what `colonies` tools would use). */
  client: ColoniesClient;
  stop(): Promise<void>;
}

/**
 * Starts `pollinator dev --json` in the sandbox (so every other command of
 * the test talks to it, as they would to a `pollinator dev` in another
 * terminal) and waits for its `dev.ready` line. Lets a test look into the
 * colony — CFS labels, processes — the way other ColonyOS tools do.
 */
export async function startDevColony(sandbox: Sandbox, cwd: string, env: Record<string, string | undefined> = {}): Promise<DevColony> {
  const { command, args } = cliCommand();
  const child = spawn(command, [...args, 'dev', '--json'], { cwd, env: definedOnly({ ...sandbox.env, ...env }) });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const ready = await new Promise<{ env: Record<string, string> }>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const line = stdout.split('\n').slice(0, -1).find((text) => text.includes('"dev.ready"'));
      if (line !== undefined) resolve(JSON.parse(line) as { env: Record<string, string> });
    });
    void exited.then((code) => reject(new Error(`pollinator dev exited with ${code} before it was ready: ${stderr}`)));
  });
  const config = loadColoniesConfig(ready.env);
  const client = createColoniesClient({ url: config.url, privateKey: config.privateKey, colonyName: config.colonyName });
  return {
    env: ready.env,
    client,
    stop: async () => {
      child.kill('SIGINT');
      await exited;
    },
  };
}
