import type { DashboardServer } from '@pollinator/dashboard';
import type { CommandContext } from '../context';
import { CliError, usageError } from '../errors';
import { CliExitCode } from '../exit-codes';
import { connectColony, type ColonyConnection } from '../runtime/colony';
import { pidAlive } from '../runtime/embedded-advertisement';
import { untilInterrupted } from '../runtime/forward-finish';
import { openBrowser } from '../runtime/open-browser';
import { VERSION } from '../version';

export interface UiOptions {
  port?: string;
  open?: boolean;
}

function parsePort(text: string | undefined): number {
  const port = Number.parseInt(text ?? '0', 10);
  if (!/^\d+$/.test(text ?? '0') || port < 0 || port > 65535) throw usageError(`--port must be 0–65535, got "${text}"`);
  return port;
}

/**
 * `pollinator ui [--port N] [--open]`: the web dashboard of the colony in
 * effect until Ctrl-C. On the embedded default, the process serving it (its
 * background service or `pollinator dev`) serves the dashboard already: this
 * command prints that link and, while it runs, keeps the service from
 * stopping itself for being idle. Otherwise (a configured colony, or
 * `--port`) this process serves it on 127.0.0.1, keeps the key and signs. The
 * printed link carries the session token either way.
 */
export async function run(context: CommandContext, options: UiOptions): Promise<number> {
  const port = parsePort(options.port);
  const connection = await connectColony(context);
  const advertised = port === 0 ? connection.embedded?.advertisement.dashboard : undefined;
  // Served here unless the embedded default's own process serves it.
  const served = advertised === undefined ? await serveDashboard(connection, port) : undefined;
  const link = served?.link ?? advertised?.link ?? '';
  const { output } = context;
  try {
    if (output.isJson) output.json({ type: 'ui.ready', url: link, port: Number(new URL(link).port), colonyName: connection.colonyName });
    else {
      output.step(`Dashboard of ${connection.description}`);
      output.result(link);
      output.info(
        served === undefined
          ? 'Open the link above (it holds the session token). The embedded default serves it, and stays up while this command runs or a dashboard page is open; Ctrl-C ends this command.'
          : "Open the link above (it holds this session's token); Ctrl-C stops the dashboard.",
      );
    }
    if (options.open === true) {
      const failure = await openBrowser(link, context.env);
      if (failure !== undefined) output.warn(`Could not open a browser: ${failure}. Open the link yourself.`);
    }
    if (served !== undefined) await untilInterrupted(context.signal);
    else if ((await untilServiceGone(context.signal, connection.embedded?.advertisement.pid ?? 0)) === 'gone') {
      throw new CliError('The embedded default stopped, and its dashboard with it', {
        why: `the process serving it (pid ${connection.embedded?.advertisement.pid}) has exited (\`pollinator dev stop\`, or Ctrl-C on \`pollinator dev\`)`,
        fix: 'Run `pollinator ui` again: it starts the embedded default and prints the new link.',
        exitCode: CliExitCode.CONNECTION_LOST,
        code: 'EMBEDDED_STOPPED',
      });
    }
  } finally {
    await served?.close();
  }
  if (output.isJson) output.json({ type: 'ui.stopped' });
  return 0;
}

async function serveDashboard(connection: ColonyConnection, port: number): Promise<DashboardServer> {
  const { startDashboardServer } = await import('@pollinator/dashboard');
  return startDashboardServer({ client: connection.client, colonyName: connection.colonyName, blobStore: () => connection.blobStore(), port, toolVersion: VERSION });
}

/**
 * Attached to the embedded default's dashboard: until Ctrl-C, or until the
 * process serving it is gone (its link is dead then). The check's timer also
 * keeps this process running: nothing else of its own does.
 */
function untilServiceGone(signal: AbortSignal, pid: number): Promise<'interrupted' | 'gone'> {
  return new Promise((resolve) => {
    const finish = (reason: 'interrupted' | 'gone'): void => {
      clearInterval(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(reason);
    };
    const onAbort = (): void => finish('interrupted');
    const timer = setInterval(() => {
      if (!pidAlive(pid)) finish('gone');
    }, 1000);
    if (signal.aborted) finish('interrupted');
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}
