import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { GcReport } from '@pollinator/dev-server';
import type { CommandContext } from '../context';
import { CliError, usageError } from '../errors';
import { CliExitCode } from '../exit-codes';
import { embeddedDir, embeddedExecutorDirs, tildify } from '../config/paths';
import { formatBytes, plural, table } from '../render/format';
import { connectColony, type ColonyConnection } from '../runtime/colony';
import { confirm } from '../runtime/confirm';
import { applyColonyGc, planColonyGc, type ColonyGcPlan } from '../runtime/gc-colony';
import { findStagingDirs, removeStagingDirs, type StagingDir } from '../runtime/gc-staging';

/**
 * `pollinator gc`: frees the disk space the embedded default keeps growing
 * (docs/runs.md, "Garbage collection"). On the embedded default the server
 * collects in its own process (`pollinatorgcmsg`: it owns the database and the
 * blob directory) and this command removes the executor's staging; against a
 * real colony only this user's old runs of this project and their snapshots,
 * after a confirmation.
 */

export interface GcOptions {
  dryRun?: boolean;
  yes?: boolean;
  keepLast?: string;
  keepDays?: string;
}

/** Defaults of the retention (documented in docs/runs.md). */
export const DEFAULT_KEEP_LAST = 5;
export const DEFAULT_KEEP_DAYS = 7;

interface Retention {
  keepLast: number;
  keepDays: number;
}

/** What the server's `pollinatorgcmsg` answers (its retention is ours, already known here). */
type ServerReport = Omit<GcReport, 'retention'>;

function count(text: string | undefined, fallback: number, option: string, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value > max) {
    throw usageError(`${option} must be a whole number from 0 to ${max}, got "${text}"`);
  }
  return value;
}

export async function run(context: CommandContext, options: GcOptions): Promise<number> {
  const retention: Retention = {
    keepLast: count(options.keepLast, DEFAULT_KEEP_LAST, '--keep-last', 1_000_000),
    keepDays: count(options.keepDays, DEFAULT_KEEP_DAYS, '--keep-days', 3650),
  };
  const dryRun = options.dryRun === true;
  if (context.config.mode === 'embedded') return collectEmbedded(context, retention, dryRun);
  return collectOnColony(context, retention, dryRun, options.yes === true);
}

// ---- the embedded default ---------------------------------------------------

/** Where the embedded executor stages jobs. */
function embeddedStagingDir(context: CommandContext): string {
  return embeddedExecutorDirs(embeddedDir(context.config.env)).fsDir;
}

async function serverCollect(connection: ColonyConnection, retention: Retention, dryRun: boolean, signal: AbortSignal): Promise<ServerReport> {
  const { ColoniesError } = await import('@pollinator/colonies-client');
  try {
    const reply = await connection.client.asColonyOwner().rpc(
      'pollinatorgcmsg',
      { colonyname: connection.colonyName, dryrun: dryRun, keeplast: retention.keepLast, keepdays: retention.keepDays },
      { signal },
    );
    return reply as unknown as ServerReport;
  } catch (error) {
    if (ColoniesError.isInstance(error) && error.status === 403 && /PayloadType/i.test(error.serverMessage)) {
      throw new CliError('The embedded default is served by an older pollinator that has no garbage collection', {
        why: `process ${connection.embedded?.serverPid ?? '?'} serves it and does not know \`pollinatorgcmsg\``,
        fix: 'Stop that `pollinator dev` (or wait for its run to end) and run `pollinator gc` again.',
        exitCode: CliExitCode.USAGE,
        code: 'GC_UNSUPPORTED',
        cause: error,
      });
    }
    throw error;
  }
}

async function collectEmbedded(context: CommandContext, retention: Retention, dryRun: boolean): Promise<number> {
  const root = embeddedDir(context.config.env);
  if (!existsSync(join(root, 'server', 'colonies.sqlite'))) {
    context.output.info(`Nothing to collect: the embedded default has no state yet (${tildify(root, context.env)})`);
    printReport(context, { dryRun, retention, report: undefined, staging: [] });
    return 0;
  }
  const connection = await connectColony(context);
  const report = await serverCollect(connection, retention, dryRun, context.signal);
  const fsDir = embeddedStagingDir(context);
  let staging = await findStagingDirs(fsDir, report.activeStagingDirs);
  if (!dryRun) {
    // Asked again once the dirs are moved aside: a job that started meanwhile gets its dir back.
    staging = await removeStagingDirs(fsDir, staging, async () => (await serverCollect(connection, retention, true, context.signal)).activeStagingDirs);
  }
  printReport(context, { dryRun, retention, report, staging });
  return 0;
}

interface ReportInput {
  dryRun: boolean;
  retention: Retention;
  /** The server's answer; none when there is no state to collect in. */
  report: ServerReport | undefined;
  staging: StagingDir[];
}

function printReport(context: CommandContext, input: ReportInput): void {
  const { output } = context;
  const { report, staging, dryRun } = input;
  const stagingBytes = staging.reduce((total, dir) => total + dir.bytes, 0);
  const freed = (report?.blobs.bytes ?? 0) + stagingBytes;
  if (output.isJson) {
    output.json({
      type: 'gc',
      mode: 'embedded',
      dryRun,
      retention: input.retention,
      freedBytes: freed,
      blobs: report?.blobs ?? { count: 0, bytes: 0 },
      staging: { count: staging.length, bytes: stagingBytes, dirs: staging.map((dir) => dir.path) },
      snapshots: report?.snapshots ?? [],
      processes: report?.processes ?? [],
      logs: report?.logs ?? { lines: 0, bytes: 0 },
      revisions: report?.revisions ?? { count: 0, bytes: 0 },
    });
    return;
  }
  const dim = output.stdoutColors.dim;
  const rows = [
    ['blobs', String(report?.blobs.count ?? 0), formatBytes(report?.blobs.bytes ?? 0)],
    ['staging dirs', String(staging.length), formatBytes(stagingBytes)],
    ['snapshots', String(report?.snapshots.length ?? 0), ''],
    ['processes', String(report?.processes.length ?? 0), ''],
    ['log lines', String(report?.logs.lines ?? 0), formatBytes(report?.logs.bytes ?? 0)],
    ['file revisions', String(report?.revisions.count ?? 0), ''],
  ];
  output.result(table(rows, [dryRun ? 'WOULD REMOVE' : 'REMOVED', 'COUNT', 'SIZE'].map((header) => dim(header))));
  for (const dir of staging) output.debug(`staging: ${dir.path} (${formatBytes(dir.bytes)})`);
  for (const snapshot of report?.snapshots ?? []) output.debug(`snapshot: ${snapshot.snapshotid} ${snapshot.name} (${snapshot.label})`);
  for (const process of report?.processes ?? []) output.debug(`process: ${process.processid} (${process.label})`);
  const kept = `kept: each project's last ${plural(input.retention.keepLast, 'run')}, runs from the last ${plural(input.retention.keepDays, 'day')}, unfinished runs and what they reference`;
  if (dryRun) output.info(`Would free ${formatBytes(freed)} (dry run: nothing was changed; ${kept})`);
  else output.step(`Freed ${formatBytes(freed)} (${kept})`);
}

// ---- a real colony ----------------------------------------------------------

async function projectName(context: CommandContext): Promise<string> {
  if (!existsSync(join(context.cwd, 'project.yaml'))) {
    const here = tildify(context.cwd, context.env);
    throw new CliError(`pollinator gc on a colony needs a project directory, and ${here} is not one`, {
      why: 'on a shared colony gc only removes your own old runs of one project, and there is no project.yaml here',
      fix: 'Run it in the project\'s directory, or point at it with `-C <dir>`.',
      exitCode: CliExitCode.USAGE,
      code: 'NOT_A_PROJECT',
    });
  }
  const { loadProject } = await import('@pollinator/spec-builder');
  return (await loadProject(context.cwd)).project.projectName;
}

/** `--json`: one object once it is decided, `removed` saying whether the listed things are gone. */
function printColonyJson(context: CommandContext, plan: ColonyGcPlan, name: string, dryRun: boolean, removed: boolean): void {
  context.output.json({
    type: 'gc',
    mode: 'colony',
    project: name,
    dryRun,
    removed,
    processes: plan.processes.map((process) => ({ processid: process.processid, state: process.state, ended: process.endtime })),
    snapshots: plan.snapshots.map((snapshot) => ({ snapshotid: snapshot.snapshotid, name: snapshot.name, label: snapshot.label })),
    truncated: plan.truncated,
    unreadable: plan.unreadable,
  });
}

function printColonyPlan(context: CommandContext, plan: ColonyGcPlan, name: string): void {
  const { output } = context;
  if (output.isJson) return;
  const rows = [
    ...plan.processes.map((process) => ['process', process.processid, process.endtime.slice(0, 19).replace('T', ' ')]),
    ...plan.snapshots.map((snapshot) => ['snapshot', snapshot.snapshotid, `${snapshot.label} (${snapshot.name})`]),
  ];
  if (rows.length > 0) output.result(table(rows, ['WHAT', 'ID', 'DETAIL'].map((header) => output.stdoutColors.dim(header))));
  if (plan.truncated) output.info('Only the newest 100 runs per state were looked at: run gc again for older ones.');
  if (plan.unreadable > 0) output.warn(`${plural(plan.unreadable, 'run')} of ${name} could not be read: no snapshot is removed, as one may name it.`);
}

async function collectOnColony(context: CommandContext, retention: Retention, dryRun: boolean, yes: boolean): Promise<number> {
  const name = await projectName(context);
  const connection = await connectColony(context);
  const userId = connection.client.id ?? '';
  const plan = await planColonyGc({ client: connection.client, projectName: name, userId, retention: { ...retention, now: Date.now() }, signal: context.signal });
  printColonyPlan(context, plan, name);
  const what = `${plural(plan.processes.length, 'run')} and ${plural(plan.snapshots.length, 'snapshot')} of ${name}`;
  const { output } = context;
  const finish = (removed: boolean): number => {
    if (output.isJson) printColonyJson(context, plan, name, dryRun, removed);
    return 0;
  };
  if (plan.processes.length === 0 && plan.snapshots.length === 0) {
    output.info(`Nothing to remove in ${connection.description}: only your own finished runs of ${name} older than the retention go (last ${plural(retention.keepLast, 'run')}, ${plural(retention.keepDays, 'day')}).`);
    return finish(false);
  }
  if (dryRun) {
    output.info(`Would remove ${what} from ${connection.description} (dry run: nothing was changed)`);
    return finish(false);
  }
  if (!yes && !(await confirm(context, `Remove ${what} from ${connection.description}?`))) {
    output.info('Nothing was removed.');
    return finish(false);
  }
  await applyColonyGc(connection.client, plan, context.signal);
  output.step(`Removed ${what}`);
  return finish(true);
}
