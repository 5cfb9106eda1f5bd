// The runs of the colony as the dashboard shows them: core's summaries
// (state, exit code, failure cause, queue) plus the executor's name and the duration.
import { isUnsetTime, type ColoniesClient, type Executor, type Process } from '@pollinator/colonies-client';
import { PROCESS_STATE_NAMES, processStateName, summarizeProcess, type ProcessStateName } from '@pollinator/core';
import type { RunDetail, RunsListing, RunSummary, TimelineStep } from './api-types';
import { badRequest } from './dashboard-errors';

export interface RunsQuery {
  state?: string;
  project?: string;
  executor?: string;
  q?: string;
  /** Per state, 1–100 (default 100). */
  count?: number;
}

function time(value: string): number | undefined {
  if (value === '' || isUnsetTime(value)) return undefined;
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? undefined : parsed;
}

export function runSummary(process: Process, executorNames: ReadonlyMap<string, string>, now = Date.now()): RunSummary {
  const summary: RunSummary = {
    ...summarizeProcess(process),
    executorId: process.assignedexecutorid ?? '',
    executorName: executorNames.get(process.assignedexecutorid) ?? '',
  };
  const start = time(process.starttime);
  if (start !== undefined) summary.durationMs = Math.max(0, (time(process.endtime) ?? now) - start);
  return summary;
}

export async function executorNameMap(client: ColoniesClient, colonyName: string | undefined, signal?: AbortSignal): Promise<Map<string, string>> {
  const executors: Executor[] = await client
    .getExecutors({ ...(colonyName === undefined ? {} : { colonyName }), ...(signal === undefined ? {} : { signal }) })
    .catch(() => []);
  return new Map(executors.map((executor) => [executor.executorid, executor.executorname]));
}

function parseStates(state: string | undefined): ProcessStateName[] {
  if (state === undefined || state === '' || state === 'all') return ['running', 'waiting', 'failed', 'cancelled', 'success'];
  const states = state.split(',');
  for (const name of states) {
    if (!(PROCESS_STATE_NAMES as readonly string[]).includes(name)) {
      throw badRequest(`state must be one of ${PROCESS_STATE_NAMES.join(', ')} (or several, comma-separated), got "${name}"`);
    }
  }
  return states as ProcessStateName[];
}

function matches(run: RunSummary, query: RunsQuery): boolean {
  if (query.executor !== undefined && query.executor !== '') {
    const wanted = query.executor;
    if (run.executorName !== wanted && run.executorId !== wanted && run.executorType !== wanted) return false;
  }
  if (query.q !== undefined && query.q !== '') {
    const text = query.q.toLowerCase();
    const haystack = [run.processId, run.label, run.funcName, run.executorName, run.executorType, run.cause?.detail ?? '', ...run.errors];
    if (!haystack.some((value) => value.toLowerCase().includes(text))) return false;
  }
  return true;
}

/** Processes of the colony (or of one project), filtered, newest first. */
export async function listRuns(client: ColoniesClient, colonyName: string | undefined, query: RunsQuery, signal?: AbortSignal): Promise<RunsListing> {
  const states = parseStates(query.state);
  const count = query.count ?? 100;
  const call = { ...(signal === undefined ? {} : { signal }) };
  const [names, listings] = await Promise.all([
    executorNameMap(client, colonyName, signal),
    Promise.all(
      states.map(async (state) => {
        const listing = await client.getProcessListing(
          {
            state: PROCESS_STATE_NAMES.indexOf(state) as 0 | 1 | 2 | 3 | 4,
            count,
            ...(query.project === undefined || query.project === '' ? {} : { label: query.project }),
            ...(colonyName === undefined ? {} : { colonyName }),
          },
          call,
        );
        return { state, ...listing };
      }),
    ),
  ]);
  const now = Date.now();
  const runs = listings
    .flatMap((listing) => listing.processes)
    .map((process) => runSummary(process, names, now))
    .filter((run) => matches(run, query))
    .sort((a, b) => (Date.parse(b.submissionTime) || 0) - (Date.parse(a.submissionTime) || 0) || a.processId.localeCompare(b.processId));
  const unreadable = listings.flatMap((listing) =>
    listing.unreadable.map((error) => ({ ...(error.processId === undefined ? {} : { processId: error.processId }), state: listing.state, reason: error.reason })),
  );
  return { runs, unreadable };
}

const ATTRIBUTE_TYPES: Record<number, RunDetail['attributes'][number]['type']> = { 0: 'in', 1: 'out', 2: 'err', 3: 'env' };

/** waiting → running → done, with the times the colony recorded. */
export function stateTimeline(process: Process): TimelineStep[] {
  const steps: TimelineStep[] = [];
  if (time(process.submissiontime) !== undefined) steps.push({ state: 'waiting', at: process.submissiontime });
  if (time(process.starttime) !== undefined) steps.push({ state: 'running', at: process.starttime });
  const state = processStateName(process.state);
  if ((state === 'success' || state === 'failed' || state === 'cancelled') && time(process.endtime) !== undefined) {
    steps.push({ state, at: process.endtime });
  }
  return steps;
}

/** One run in full: summary, attributes, spec, timeline. */
export async function runDetail(client: ColoniesClient, colonyName: string | undefined, processId: string, signal?: AbortSignal): Promise<RunDetail> {
  const process = await client.getProcess(processId, { ...(signal === undefined ? {} : { signal }) });
  const names = await executorNameMap(client, colonyName ?? process.spec.conditions.colonyname, signal);
  return {
    run: runSummary(process, names),
    attributes: (process.attributes ?? []).map((attribute) => ({
      key: attribute.key,
      value: attribute.value,
      type: ATTRIBUTE_TYPES[attribute.attributetype] ?? 'unknown',
    })),
    // JSON for the page: the spec's own type has no index signature.
    spec: { ...process.spec },
    timeline: stateTimeline(process),
    initiatorName: process.initiatorname,
  };
}
