/**
 * The failure cause an executor recorded on a process (issue #17), read back
 * for `status`, `show`, `run` and `--json`: `POLLINATOR_FAILURE_CAUSE` (the
 * kind) and `POLLINATOR_FAILURE_DETAIL` (the line a researcher acts on). Only
 * attributes of type OUT count: the executor adds those; a submitter's env
 * could not fake a cause.
 */
import type { Process } from '@pollinator/colonies-client';
import { isJobCauseKind, type JobCauseKind } from './backend';
import { RunRecordKey } from './run-record-keys';

export interface ProcessCause {
  /** `out-of-memory`, `time-limit`, `node-failure`, `preempted`, `failed`, `cancelled`, `could-not-start`. */
  kind: JobCauseKind;
  /** "killed: out of memory (peak 15.8 GiB of 16 GiB requested) — raise conditions.mem". */
  detail: string;
}

const OUT = 1;

function outValue(process: Partial<Pick<Process, 'attributes'>>, key: string): string | undefined {
  return (process.attributes ?? []).filter((attribute) => attribute.key === key && attribute.attributetype === OUT && attribute.value !== '').at(-1)?.value;
}

/** The cause recorded on the process, when its executor recorded one. */
export function processCause(process: Partial<Pick<Process, 'attributes'>>): ProcessCause | undefined {
  const kind = outValue(process, RunRecordKey.failureCause);
  if (!isJobCauseKind(kind)) return undefined;
  return { kind, detail: outValue(process, RunRecordKey.failureDetail) ?? kind };
}
