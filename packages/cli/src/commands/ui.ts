import type { CommandContext } from '../context';
import { usageError } from '../errors';
import { connectColony } from '../runtime/colony';
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
 * effect (configured, or the embedded default) on 127.0.0.1 until Ctrl-C. The
 * printed link carries the session token; this process keeps the key and signs.
 */
export async function run(context: CommandContext, options: UiOptions): Promise<number> {
  const port = parsePort(options.port);
  const connection = await connectColony(context);
  const { startDashboardServer } = await import('@pollinator/dashboard');
  const dashboard = await startDashboardServer({ client: connection.client, colonyName: connection.colonyName, blobStore: () => connection.blobStore(), port, toolVersion: VERSION });
  const { output } = context;
  try {
    if (output.isJson) output.json({ type: 'ui.ready', url: dashboard.link, port: dashboard.port, colonyName: connection.colonyName });
    else {
      output.step(`Dashboard of ${connection.description}`);
      output.result(dashboard.link);
      output.info('Open the link above (it holds this session\'s token); Ctrl-C stops the dashboard.');
    }
    if (options.open === true) {
      const failure = await openBrowser(dashboard.link, context.env);
      if (failure !== undefined) output.warn(`Could not open a browser: ${failure}. Open the link yourself.`);
    }
    await untilInterrupted(context.signal);
  } finally {
    await dashboard.close();
  }
  if (output.isJson) output.json({ type: 'ui.stopped' });
  return 0;
}
