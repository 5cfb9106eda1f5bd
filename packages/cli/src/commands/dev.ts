import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { CommandContext } from '../context';
import { formatEnvFile } from '../config/env-file';
import { tildify } from '../config/paths';
import { usageError } from '../errors';
import { CliExitCode } from '../exit-codes';
import { createExecutorEventRenderer } from '../render/executor-events';
import { openEmbeddedColony } from '../runtime/embedded';

export interface DevOptions {
  port?: string;
  executor?: boolean;
  writeEnv?: string;
}

const SHOWN_VARIABLES = ['COLONIES_SERVER_HOST', 'COLONIES_SERVER_PORT', 'COLONIES_TLS', 'COLONIES_SERVER_TLS', 'COLONIES_COLONY_NAME', 'COLONIES_PRVKEY', 'COLONIES_COLONY_PRVKEY', 'COLONIES_SERVER_PRVKEY'];

/**
 * `pollinator dev`: the embedded default in the foreground, the dev-server
 * and (unless --no-executor) a local executor, until Ctrl-C. Prints the
 * COLONIES_* environment other tools can use; other pollinator commands
 * find it on their own.
 */
export async function run(context: CommandContext, options: DevOptions): Promise<number> {
  const port = Number.parseInt(options.port ?? '0', 10);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw usageError(`--port must be 0–65535, got "${options.port}"`);
  const { output } = context;
  if (context.config.mode === 'colony') {
    output.warn(
      `COLONIES_SERVER_HOST is set (${context.config.env.COLONIES_SERVER_HOST}): other pollinator commands in this environment use that colony, not this embedded one.`,
    );
  }
  const colony = await openEmbeddedColony(context, {
    executor: options.executor !== false,
    port,
    command: 'dev',
    requireServe: true,
    onExecutorEvent: createExecutorEventRenderer(output, { verbosity: 'brief' }),
  });
  const env = Object.fromEntries(SHOWN_VARIABLES.filter((name) => colony.env[name] !== undefined).map((name) => [name, colony.env[name] ?? '']));
  const envFile = join(colony.dir, 'colonies.env');
  const header = `COLONIES_* environment of the pollinator embedded default (\`pollinator dev\`, ${colony.url}).\nLoad it with: set -a; . ${envFile}; set +a`;
  await writeFile(envFile, formatEnvFile(env, header), { mode: 0o600 });
  if (options.writeEnv !== undefined) await writeFile(resolve(context.cwd, options.writeEnv), formatEnvFile(env, header), { mode: 0o600 });

  if (output.isJson) {
    output.json({ type: 'dev.ready', url: colony.url, colonyName: colony.colonyName, dir: colony.dir, envFile, executor: colony.executor === 'this', env });
  } else {
    const c = output.colors;
    output.step(`Embedded colony ${c.bold(colony.colonyName)} at ${c.bold(colony.url)}${colony.executor === 'this' ? ` with a local executor (${colony.runningExecutor?.name ?? 'dev-executor'})` : ''}`);
    output.line(`  state      ${tildify(colony.dir, context.env)}`);
    output.line(`  env file   ${tildify(envFile, context.env)}${options.writeEnv === undefined ? '' : ` and ${options.writeEnv}`}`);
    output.line('');
    output.line('Other pollinator commands (run, ps, logs, …) use it automatically. For other ColonyOS tools:');
    output.result(Object.entries(env).map(([key, value]) => `export ${key}=${value}`).join('\n'));
    output.line('');
    output.line(c.dim('Ctrl-C stops it.'));
  }

  await new Promise<void>((resolvePromise) => {
    if (context.signal.aborted) resolvePromise();
    context.signal.addEventListener('abort', () => resolvePromise(), { once: true });
  });
  const running = colony.runningExecutor?.running() ?? [];
  if (!output.isJson) {
    output.line('');
    output.line(
      running.length > 0
        ? `Stopping: waiting for ${running.length === 1 ? 'the running job' : `${running.length} running jobs`} to finish (Ctrl-C again leaves ${running.length === 1 ? 'it' : 'them'} running; the next \`pollinator dev\` re-attaches).`
        : 'Stopping.',
    );
  }
  await colony.runningExecutor?.stop('finish');
  await context.cleanup();
  if (output.isJson) output.json({ type: 'dev.stopped' });
  else output.step('Stopped');
  return CliExitCode.SUCCESS;
}
