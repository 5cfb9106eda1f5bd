/** Runs: every process of the colony, filtered, newest first, updated live. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { runsQuery, type Run } from './api';
import { EmptyState, ErrorNotice, Loading, StateBadge } from './feedback';
import { formatDuration, formatTime, runDuration, shortId } from './format';
import { runHref, runsHref } from './router';
import { runExecutor, runProject } from './run-fields';
import { useJson, useServerEvents, useThrottled } from './use-json';

const RUN_EVENTS = ['run'] as const;
const STATES = ['', 'waiting', 'running', 'success', 'failed', 'cancelled'];

export function listOf<T>(data: unknown, key: string): T[] {
  if (Array.isArray(data)) return data as T[];
  const value = (data as Record<string, unknown> | undefined)?.[key];
  return Array.isArray(value) ? (value as T[]) : [];
}

function newestFirst(runs: Run[]): Run[] {
  return [...runs].sort((left, right) => (Date.parse(right.submissionTime) || 0) - (Date.parse(left.submissionTime) || 0));
}

function normalized(filter: Record<string, string>): string {
  return JSON.stringify(Object.entries(filter).filter(([, value]) => value !== '').sort());
}

function FilterBar({ filter }: { filter: Record<string, string> }) {
  const [draft, setDraft] = useState(filter);
  // The route changes after `apply` too: only a change from elsewhere (a link,
  // back/forward) replaces the draft, so typing right after applying is kept.
  const applied = useRef(normalized(filter));
  useEffect(() => {
    if (normalized(filter) === applied.current) return;
    applied.current = normalized(filter);
    setDraft(filter);
  }, [normalized(filter)]);
  const apply = (next: Record<string, string>): void => {
    applied.current = normalized(next);
    setDraft(next);
    location.hash = runsHref(next);
  };
  const field = (name: string, label: string) => (
    <label>
      {label}
      <input name={name} type="search" value={draft[name] ?? ''} onInput={(event) => setDraft({ ...draft, [name]: event.currentTarget.value })} />
    </label>
  );
  return (
    <form
      class="filters"
      role="search"
      aria-label="Filter runs"
      onSubmit={(event) => {
        event.preventDefault();
        apply(draft);
      }}
    >
      <label>
        State
        <select name="state" value={draft.state ?? ''} onChange={(event) => apply({ ...draft, state: event.currentTarget.value })}>
          {STATES.map((state) => (
            <option key={state} value={state}>
              {state === '' ? 'any' : state}
            </option>
          ))}
        </select>
      </label>
      {field('project', 'Project')}
      {field('executor', 'Executor')}
      {field('q', 'Text')}
      <button type="submit">Filter</button>
    </form>
  );
}

function RunRow({ run, now }: { run: Run; now: number }) {
  const cause = run.cause;
  return (
    <tr>
      <td>
        <a href={runHref(run.processId)} title={run.processId}>
          <code>{shortId(run.processId)}</code>
        </a>
      </td>
      <td>{runProject(run)}</td>
      <td>
        <StateBadge state={run.state} />
      </td>
      <td>{runExecutor(run)}</td>
      <td>{formatTime(run.submissionTime)}</td>
      <td>{formatDuration(runDuration(run, now))}</td>
      <td>{run.exitCode ?? '—'}</td>
      <td>{cause && run.state !== 'success' ? <span title={cause.detail}>{cause.kind}</span> : ''}</td>
    </tr>
  );
}

export function RunsPage({ filter }: { filter: Record<string, string> }) {
  const path = runsQuery(filter);
  const runs = useJson<unknown>(path);
  const reloadSoon = useThrottled(runs.reload, 500);
  useServerEvents(path.replace('/api/runs', '/api/events'), RUN_EVENTS, reloadSoon);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const list = newestFirst(listOf<Run>(runs.data, 'runs'));
  const unreadable = listOf<{ processId?: string; reason: string }>(runs.data, 'unreadable');
  const filtered = Object.values(filter).some((value) => value !== '');
  return (
    <section aria-labelledby="runs-title">
      <h1 id="runs-title">Runs</h1>
      <FilterBar filter={filter} />
      {runs.error && <ErrorNotice error={runs.error} onRetry={runs.reload} />}
      {!runs.data && !runs.error && <Loading what="runs" />}
      {runs.data !== undefined && list.length === 0 && (
        <EmptyState title={filtered ? 'No run matches these filters' : 'No runs yet'}>
          {filtered ? (
            <p>
              <a href="#/runs">Clear the filters</a> to see every run.
            </p>
          ) : (
            <p>
              Start one from a project directory with <code>pollinator run</code>; it appears here as it is submitted.
            </p>
          )}
        </EmptyState>
      )}
      {unreadable.length > 0 && (
        <div class="notice error" role="alert">
          <p>
            {unreadable.length} process{unreadable.length === 1 ? '' : 'es'} of the colony could not be read and {unreadable.length === 1 ? 'is' : 'are'} not listed:
          </p>
          <ul>
            {unreadable.map((entry, index) => (
              <li key={entry.processId ?? index}>
                <code>{entry.processId ?? 'unknown id'}</code>: {entry.reason}
              </li>
            ))}
          </ul>
        </div>
      )}
      {list.length > 0 && (
        <table class="runs">
          <caption class="visually-hidden">Runs, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Project</th>
              <th scope="col">State</th>
              <th scope="col">Executor</th>
              <th scope="col">Submitted</th>
              <th scope="col">Duration</th>
              <th scope="col">Exit code</th>
              <th scope="col">Failure cause</th>
            </tr>
          </thead>
          <tbody>
            {list.map((run) => (
              <RunRow key={run.processId} run={run} now={now} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
