/** Executors: state, type, last seen, and which projects each can run. */
import type { Executor } from './api';
import { EmptyState, ErrorNotice, Loading, StateBadge } from './feedback';
import { formatTime } from './format';
import { listOf } from './runs-page';
import { useJson } from './use-json';

function Projects({ executor }: { executor: Executor }) {
  const runnable = executor.runnable ?? [];
  if (runnable.length === 0) {
    return executor.state === 'approved' ? (
      <span>
        jobs whose <code>executor.type</code> is <code>{executor.type}</code>
      </span>
    ) : (
      <span>nothing until it is approved</span>
    );
  }
  return (
    <ul class="runnable">
      {runnable.map((entry) => (
        <li key={entry.project}>
          <span aria-hidden="true">{entry.canRun ? '✓' : '✗'}</span> <strong>{entry.project}</strong>
          <span class="visually-hidden">{entry.canRun ? ' can run' : ' cannot run'}</span>
          {entry.reason && <span class="size"> — {entry.reason}</span>}
        </li>
      ))}
    </ul>
  );
}

export function ExecutorsPage() {
  const executors = useJson<unknown>('/api/executors');
  const list = listOf<Executor>(executors.data, 'executors');
  return (
    <section aria-labelledby="executors-title">
      <h1 id="executors-title">Executors</h1>
      {executors.error && <ErrorNotice error={executors.error} onRetry={executors.reload} />}
      {!executors.data && !executors.error && <Loading what="executors" />}
      {executors.data !== undefined && list.length === 0 && (
        <EmptyState title="No executors">
          <p>
            Nothing can run jobs yet: start one with <code>pollinator executor start</code> (or <code>pollinator dev</code>, which runs a local one).
          </p>
        </EmptyState>
      )}
      {list.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Type</th>
              <th scope="col">State</th>
              <th scope="col">Last seen</th>
              <th scope="col">Location</th>
              <th scope="col">Can run</th>
            </tr>
          </thead>
          <tbody>
            {list.map((executor) => (
              <tr key={executor.id}>
                <th scope="row">{executor.name}</th>
                <td>{executor.type}</td>
                <td>
                  <StateBadge state={executor.state} />
                </td>
                <td>{formatTime(executor.lastHeardFrom)}</td>
                <td>{executor.location || '—'}</td>
                <td>
                  <Projects executor={executor} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
