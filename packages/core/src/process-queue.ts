/**
 * Where a process's job waits in its scheduler's queue (issue #17, "why is my
 * job waiting?"), as its executor recorded it on the process: OUT attributes
 * `POLLINATOR_QUEUE_<n>` (attributes are add-only: one per change, the
 * highest `n` is the latest), each a JSON object (`JobQueue` and the
 * backend's reason line), the last one empty once the job runs
 * (`executor-job-queue.ts`). Read for `status`, `run` and `--json`. Only type
 * OUT counts (the executor adds those, a submitter's env cannot fake it), and
 * the value is checked field by field: it is text from elsewhere.
 */
import type { Process } from '@pollinator/colonies-client';
import type { JobQueue } from './backend';

/** The prefix of the attributes the executor records the queue in. */
export const QUEUE_ATTRIBUTE = 'POLLINATOR_QUEUE';
const QUEUE_KEY = /^POLLINATOR_QUEUE_(\d{1,16})$/;

/** The key of the record number `sequence` (`POLLINATOR_QUEUE_1764766080000`). */
export function queueAttributeKey(sequence: number): string {
  return `${QUEUE_ATTRIBUTE}_${sequence}`;
}

/** A job's place in the queue as recorded: `JobQueue` and the backend's reason in words. */
export interface ProcessQueue extends JobQueue {
  /** "Resources (waiting for nodes to become free)". */
  reason: string;
}

const OUT = 1;
const RUNNING = 1;
/** A recorded value longer than this is not read (the executor writes a few hundred bytes). */
const MAX_VALUE_LENGTH = 4096;

function text(value: unknown, max = 1000): string | undefined {
  return typeof value === 'string' && value !== '' && value.length <= max ? value : undefined;
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/** Parses a recorded value; undefined when empty (the job runs) or not what an executor writes. */
export function parseProcessQueue(value: string): ProcessQueue | undefined {
  if (value === '' || value.length > MAX_VALUE_LENGTH) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const record = raw as Record<string, unknown>;
  const reasonCode = text(record.reasonCode, 100);
  if (reasonCode === undefined) return undefined;
  const fields = {
    partition: text(record.partition, 200),
    position: count(record.position),
    of: count(record.of),
    estimatedStart: text(record.estimatedStart, 40),
    blocked: text(record.blocked),
  };
  const queue: ProcessQueue = { reasonCode, reason: text(record.reason) ?? reasonCode };
  for (const [key, field] of Object.entries(fields)) if (field !== undefined) Object.assign(queue, { [key]: field });
  if (queue.estimatedStart !== undefined && Number.isNaN(Date.parse(queue.estimatedStart))) delete queue.estimatedStart;
  return queue;
}

/** `2026-12-03T12:46:32.000Z` → `2026-12-03 12:46 UTC` (a start estimate is not more precise than a minute). */
function formatIsoMinute(iso: string): string {
  return `${new Date(Date.parse(iso)).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** The queue recorded on a running process; undefined once its job runs, or when nothing was recorded. */
export function processQueue(process: Partial<Pick<Process, 'attributes' | 'state'>>): ProcessQueue | undefined {
  if (process.state !== undefined && process.state !== RUNNING) return undefined;
  let latest: { sequence: number; value: string } | undefined;
  for (const attribute of process.attributes ?? []) {
    const match = attribute.attributetype === OUT ? QUEUE_KEY.exec(attribute.key) : null;
    const sequence = match ? Number(match[1]) : -1;
    // The server's list order is not stable: the highest number is the latest record.
    if (sequence >= 0 && (latest === undefined || sequence > latest.sequence)) latest = { sequence, value: attribute.value };
  }
  return latest === undefined ? undefined : parseProcessQueue(latest.value);
}

/**
 * One line for people: "Resources (waiting for nodes to become free); 2nd of 3
 * pending in partition 'debug'; estimated start 2026-12-03 12:46 UTC", or for a
 * blocked job "will not start: partition 'gpu' is down: ask your admins …".
 */
export function describeProcessQueue(queue: ProcessQueue): string {
  if (queue.blocked !== undefined) return `will not start: ${queue.blocked}`;
  const parts = [queue.reason];
  const where = queue.partition === undefined ? '' : ` in partition '${queue.partition}'`;
  if (queue.position !== undefined && queue.of !== undefined) parts.push(`${queue.position} of ${queue.of} pending${where}`);
  else if (where !== '') parts.push(`pending${where}`);
  if (queue.estimatedStart !== undefined) parts.push(`estimated start ${formatIsoMinute(queue.estimatedStart)}`);
  return parts.join('; ');
}
