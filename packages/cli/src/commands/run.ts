import type { CommandContext } from '../context';
import { connectColony } from '../runtime/colony';
import { announceEmbeddedImage } from '../runtime/embedded-image-notice';
import { followRun } from '../runtime/follow-run';
import { printTunnelHint, startRunTunnel } from '../runtime/run-tunnel';
import { VERSION } from '../version';
import { loadProjectOrReport } from './plan';
import { notifyRunEnded, parseNotifyTarget } from './run-notify';

export interface RunOptions {
  detach?: boolean;
  dryRun?: boolean;
  cancelOnInterrupt?: boolean;
  /** Upload local files even where the remote copy changed since the last sync. */
  force?: boolean;
  /** Tell this webhook / ntfy topic when the run ends (run-notify.ts). */
  notify?: string;
  /** `tunnel:` in SSH mode: the jump host's key fingerprint the user accepts (run-tunnel.ts). */
  acceptHostKey?: string;
}

/**
 * `pollinator run`: sync src and data, snapshot, submit, follow state and
 * logs, download results; exits with the job's exit code. Ctrl-C detaches
 * (the job keeps running) unless --cancel-on-interrupt. With --notify, the
 * end of the run is announced after the outcome is printed.
 */
export async function run(context: CommandContext, options: RunOptions): Promise<number> {
  if (options.dryRun === true) {
    const { run: plan } = await import('./plan');
    return plan(context, { force: options.force });
  }
  const { output } = context;
  const started = Date.now();
  const detach = options.detach === true;
  const notify = options.notify === undefined ? undefined : parseNotifyTarget(options.notify);
  if (notify !== undefined && detach) output.warn('--notify has no effect with --detach: this command does not see the run end.');
  // A broken project.yaml stops here, before any server starts or state is created.
  const loaded = await loadProjectOrReport(context);
  if (typeof loaded === 'number') return loaded;
  const connection = await connectColony(context, { executor: !detach });
  // On the embedded default: whether environment.docker is used here, once per run on stderr (H6).
  await announceEmbeddedImage(context, connection);
  const blobStore = await connection.blobStore();
  const { runProject } = await import('@pollinator/core');

  const execution = runProject({
    dir: context.cwd,
    client: connection.client,
    colonyName: connection.colonyName,
    blobStore,
    signal: context.signal,
    follow: !detach,
    cancelOnAbort: options.cancelOnInterrupt === true,
    force: options.force === true,
    toolVersion: VERSION,
  });
  // project.yaml's tunnel: opened once the job runs, closed when it ends (run-tunnel.ts).
  const tunnel = detach || loaded.project.tunnel === undefined ? undefined : startRunTunnel(context, { connection, tunnel: loaded.project.tunnel, acceptHostKey: options.acceptHostKey });
  const followed = await followRun(context, connection, execution, {
    detach,
    cancelOnInterrupt: options.cancelOnInterrupt === true,
    started,
    onEvent: tunnel?.onEvent,
  });
  await tunnel?.close();
  const detached = detach || (followed.result.detached && options.cancelOnInterrupt !== true);
  if (detached && loaded.project.tunnel !== undefined && followed.processId !== undefined) printTunnelHint(context, loaded.project.tunnel, followed.processId);
  // After the outcome is on screen (a slow webhook must not delay it); a run this command saw end only.
  if (notify !== undefined && !detach && !followed.result.detached) {
    const warning = await notifyRunEnded(notify, { projectName: loaded.project.projectName, result: followed.result, durationMs: Date.now() - started });
    if (warning !== undefined) output.warn(warning);
    else output.debug(`notified ${notify.url.host} (${notify.format})`);
  }
  return followed.exitCode;
}
