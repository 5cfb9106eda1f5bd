import { isUnsetTime, type ColoniesClient, type Process } from '@pollinator/colonies-client';
import type { FunctionSpec } from '@pollinator/spec-builder';
import { processStateName, type ProcessStateName } from './events';
import { summarizeProcess, type ProcessSummary } from './process-commands';
import { processCause, type ProcessCause } from './process-cause';
import { processExitCode } from './process-outcome';
import { RunRecordKey } from './run-record-keys';
import { recordValue, resultSnapshotOf } from './run-record-values';

/**
 * Everything the process record says about one run (issue #14): the inputs
 * (src and data snapshots), the tool and git state that submitted it, what the
 * executor ran (image, digest) and what came out (result snapshot, exit code).
 * Plain JSON.
 */
export interface RunRecord {
  processId: string;
  /** The spec's `label`: the project name for Pollinator runs. */
  projectName: string;
  state: ProcessStateName;
  /** For finished runs (docs/exit-codes.md). */
  exitCode?: number;
  /** RFC 3339. */
  submitted: string;
  started?: string;
  ended?: string;
  /** Name of the executor the process was assigned to, when it can be looked up. */
  executorName?: string;
  executorType: string;
  srcSnapshotId?: string;
  dataSnapshotId?: string;
  resultSnapshotId?: string;
  image?: string;
  /** `false` when the executor ran the job without containers: `image` was asked for, not used. */
  imageUsed?: boolean;
  imageDigest?: string;
  /** Why the job failed, when its executor recorded it (process-cause.ts). */
  cause?: ProcessCause;
  cliVersion?: string;
  gitCommit?: string;
  gitDirty?: boolean;
  rerunOf?: string;
  spec: FunctionSpec;
  retries: number;
  errors: string[];
}

type RecordClient = Pick<ColoniesClient, 'getProcess' | 'getExecutorById'>;

/** Reads a process and what its record says about the run. */
export async function getRunRecord(options: { client: RecordClient; processId: string; signal?: AbortSignal }): Promise<RunRecord> {
  const call = options.signal === undefined ? {} : { signal: options.signal };
  const process = await options.client.getProcess(options.processId, call);
  let executorName: string | undefined;
  if (process.assignedexecutorid !== '') {
    // Best effort: an executor removed since (or not visible to this user) leaves the name out.
    executorName = await options.client.getExecutorById(process.assignedexecutorid, call).then(
      (executor) => executor.executorname,
      () => undefined,
    );
  }
  return runRecordOf(process, executorName);
}

/** The run record of a process already read. */
export function runRecordOf(process: Process, executorName?: string): RunRecord {
  const state = processStateName(process.state);
  const finished = state === 'success' || state === 'failed' || state === 'cancelled';
  const value = (key: (typeof RunRecordKey)[keyof typeof RunRecordKey]) => recordValue(process, key);
  const gitDirty = value(RunRecordKey.gitDirty);
  const fields: Partial<RunRecord> = {
    exitCode: finished ? processExitCode(process).exitCode : undefined,
    started: time(process.starttime),
    ended: time(process.endtime),
    executorName,
    srcSnapshotId: value(RunRecordKey.srcSnapshot) ?? process.spec.fs?.snapshots?.[0]?.snapshotid,
    dataSnapshotId: value(RunRecordKey.dataSnapshot),
    resultSnapshotId: resultSnapshotOf(process),
    image: value(RunRecordKey.image),
    imageUsed: value(RunRecordKey.imageUsed) === 'false' ? false : undefined,
    imageDigest: value(RunRecordKey.imageDigest),
    cliVersion: value(RunRecordKey.cliVersion),
    gitCommit: value(RunRecordKey.gitCommit),
    gitDirty: gitDirty === undefined ? undefined : gitDirty === 'true',
    rerunOf: value(RunRecordKey.rerunOf),
    cause: processCause(process),
  };
  const defined = Object.fromEntries(Object.entries(fields).filter(([, field]) => field !== undefined && field !== ''));
  return {
    processId: process.processid,
    projectName: process.spec.label,
    state,
    submitted: process.submissiontime,
    executorType: process.spec.conditions.executortype,
    ...defined,
    spec: process.spec,
    retries: process.retries,
    errors: [...(process.errors ?? [])],
  };
}

function time(value: string): string | undefined {
  return value === '' || isUnsetTime(value) ? undefined : value;
}

const FINISHED = [2, 3, 4] as const;
const ALL = [0, 1, 2, 3, 4] as const;

/**
 * The project's last run: of the processes labelled with the project name,
 * the one submitted last — among finished ones (success, failed or cancelled)
 * by default, or among all with `includeUnfinished`. Undefined when there is none.
 */
export async function findLastRun(options: {
  client: Pick<ColoniesClient, 'getProcesses'>;
  projectName: string;
  colonyName?: string;
  includeUnfinished?: boolean;
  signal?: AbortSignal;
}): Promise<ProcessSummary | undefined> {
  const states = options.includeUnfinished === true ? ALL : FINISHED;
  const lists = await Promise.all(
    states.map((state) =>
      options.client.getProcesses(
        { state, count: 100, label: options.projectName, ...(options.colonyName === undefined ? {} : { colonyName: options.colonyName }) },
        options.signal === undefined ? {} : { signal: options.signal },
      ),
    ),
  );
  const processes = lists.flat().filter((process) => process.spec.label === options.projectName);
  const last = processes.reduce<Process | undefined>(
    (latest, process) => (latest === undefined || compareTimes(process.submissiontime, latest.submissiontime) > 0 ? process : latest),
    undefined,
  );
  return last === undefined ? undefined : summarizeProcess(last);
}

/** Orders two RFC 3339 times to the nanosecond (Date.parse keeps milliseconds only). */
export function compareTimes(a: string, b: string): number {
  const difference = Date.parse(a) - Date.parse(b);
  if (difference !== 0 && !Number.isNaN(difference)) return difference;
  const nanos = (value: string) => Number((/\.([0-9]+)/.exec(value)?.[1] ?? '').padEnd(9, '0').slice(0, 9));
  return nanos(a) - nanos(b);
}
