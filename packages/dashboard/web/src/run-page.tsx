/** One run: timeline, executor, attributes, spec, live log, results and actions. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, postJson, resultPath, runPath, type RerunReply, type Run, type RunResults, type RunAttribute, type RunDetail } from './api';
import { EmptyState, ErrorNotice, Loading, StateBadge } from './feedback';
import { formatBytes, formatDuration, formatTime, runDuration } from './format';
import { LogView } from './log-view';
import { runHref } from './router';
import { isTerminal, runExecutor, runProject, TERMINAL_STATES } from './run-fields';
import { useJson, useThrottled } from './use-json';

function Timeline({ detail }: { detail: RunDetail }) {
  const { run, timeline } = detail;
  const reached = new Map<string, string>(timeline.map((step) => [step.state, step.at]));
  const done = isTerminal(run) ? run.state : 'done';
  const steps = [
    { name: 'waiting', note: run.state === 'waiting' ? (run.queue?.reason ?? 'queued until an executor takes it') : undefined },
    { name: 'running', note: undefined },
    { name: done, note: undefined },
  ];
  return (
    <ol class="timeline" aria-label="State timeline">
      {steps.map((step) => (
        <li key={step.name} class={reached.has(step.name) ? 'reached' : 'pending'} aria-current={run.state === step.name ? 'step' : undefined}>
          <strong>{step.name}</strong> <span>{formatTime(reached.get(step.name))}</span>
          {step.note && <em> — {step.note}</em>}
        </li>
      ))}
    </ol>
  );
}

function Attributes({ attributes }: { attributes: RunAttribute[] }) {
  if (attributes.length === 0) return <p>No attributes recorded.</p>;
  return (
    <table class="attributes">
      <thead>
        <tr>
          <th scope="col">Key</th>
          <th scope="col">Value</th>
          <th scope="col">Kind</th>
        </tr>
      </thead>
      <tbody>
        {attributes.map((attribute, index) => (
          <tr key={`${attribute.key}-${index}`}>
            <th scope="row">{attribute.key}</th>
            <td>{attribute.value}</td>
            <td>{attribute.type}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Results({ id, state }: { id: string; state: string }) {
  const results = useJson<RunResults>(`${runPath(id)}/results`);
  const live = !TERMINAL_STATES.has(state);
  // The executor records results as the job ends: look again when the state changes.
  const firstState = useRef(state);
  useEffect(() => {
    if (state !== firstState.current) results.reload();
  }, [state]);
  const files = results.data?.files ?? [];
  return (
    <section aria-labelledby="results-title">
      <h2 id="results-title">Results</h2>
      {results.error && <ErrorNotice error={results.error} onRetry={results.reload} />}
      {!results.data && !results.error && <Loading what="results" />}
      {results.data !== undefined && files.length === 0 && <p>{results.data.note ?? (live ? 'No results yet: files the job writes to cfs/result appear here when it ends.' : 'This run wrote no results.')}</p>}
      {files.length > 0 && (
        <ul class="results">
          {files.map((file) => (
            <li key={file.path}>
              <a href={resultPath(id, file.path)} download={file.path.split('/').at(-1)}>
                {file.path}
              </a>{' '}
              <span class="size">{formatBytes(file.size)}</span>
            </li>
          ))}
        </ul>
      )}
      {files.length > 0 && (
        <p>
          <a href={`${runPath(id)}/results.tar`} download={`${id}-results.tar`}>
            Download all results (.tar)
          </a>
        </p>
      )}
      {results.data !== undefined && !results.error && (
        <button type="button" onClick={results.reload}>
          Refresh results
        </button>
      )}
    </section>
  );
}

/** What a re-run has to tell about the new run, shown on its page (the old page is gone by then). */
const notices = new Map<string, string>();

function Actions({ run, onChange }: { run: Run; onChange: () => void }) {
  const [message, setMessage] = useState<string | undefined>(() => notices.get(run.processId));
  useEffect(() => void notices.delete(run.processId), [run.processId]);
  const [busy, setBusy] = useState(false);
  const command = `pollinator logs ${run.processId} --follow`;
  const cancel = async (): Promise<void> => {
    if (!confirm(`Cancel run ${run.processId}?`)) return;
    setBusy(true);
    try {
      await postJson(`${runPath(run.processId)}/cancel`);
      setMessage('Cancel requested: the executor stops the job.');
      onChange();
    } catch (error) {
      setMessage(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(false);
    }
  };
  const rerun = async (): Promise<void> => {
    if (!confirm(`Run ${run.processId} again with its recorded spec, src and data?`)) return;
    setBusy(true);
    try {
      const reply = await postJson<RerunReply>(`${runPath(run.processId)}/rerun`);
      if (reply.warnings.length > 0) notices.set(reply.processId, reply.warnings.map((warning) => warning.message).join(' '));
      // The new run's page follows the new process.
      location.hash = runHref(reply.processId);
    } catch (error) {
      setMessage(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(false);
    }
  };
  const copy = async (text: string): Promise<void> => {
    try {
      await navigator.clipboard.writeText(text);
      setMessage(`Copied: ${text}`);
    } catch {
      setMessage(`Copy this command: ${text}`);
    }
  };
  return (
    <div class="actions">
      {!isTerminal(run) && (
        <button type="button" class="danger" disabled={busy} onClick={cancel}>
          Cancel run
        </button>
      )}
      <button type="button" onClick={() => copy(command)}>
        Copy CLI command
      </button>
      {isTerminal(run) && (
        <button type="button" disabled={busy} onClick={rerun}>
          Re-run
        </button>
      )}
      {isTerminal(run) && (
        <button type="button" onClick={() => copy(`pollinator rerun ${run.processId}`)}>
          Copy re-run command
        </button>
      )}
      <code class="command">{command}</code>
      {message && (
        <p role="status" class="action-message">
          {message}
        </p>
      )}
    </div>
  );
}

/** The run this one repeats (POLLINATOR_RERUN_OF in its spec's env, set by `pollinator rerun` and Re-run). */
function rerunOfSpec(spec: Record<string, unknown>): string | undefined {
  const env = spec.env;
  if (typeof env !== 'object' || env === null) return undefined;
  const value = (env as Record<string, unknown>).POLLINATOR_RERUN_OF;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function RunPage({ id }: { id: string }) {
  const loaded = useJson<RunDetail>(runPath(id));
  const reloadSoon = useThrottled(loaded.reload, 500);
  const detail = loaded.data;
  if (loaded.error && !detail) {
    return (
      <section>
        <h1>Run {id}</h1>
        {loaded.error instanceof ApiError && loaded.error.status === 404 ? (
          <EmptyState title="No such run">
            <p>
              The colony has no process <code>{id}</code>. <a href="#/runs">See every run</a>.
            </p>
          </EmptyState>
        ) : (
          <ErrorNotice error={loaded.error} onRetry={loaded.reload} />
        )}
      </section>
    );
  }
  if (!detail) return <Loading what={`run ${id}`} />;
  const { run } = detail;
  const rerunOf = rerunOfSpec(detail.spec);
  return (
    <article aria-labelledby="run-title" class="run">
      <p>
        <a href="#/runs">← Runs</a>
      </p>
      <h1 id="run-title">
        {runProject(run)} <code>{run.processId}</code> <StateBadge state={run.state} />
      </h1>
      <Timeline detail={detail} />
      <dl class="facts">
        <div><dt>Executor</dt><dd>{runExecutor(run)}{run.executorName && run.executorType ? ` (${run.executorType})` : ''}</dd></div>
        {rerunOf && <div><dt>Re-run of</dt><dd><a href={runHref(rerunOf)}><code>{rerunOf}</code></a></dd></div>}
        <div><dt>Submitted by</dt><dd>{detail.initiatorName || '—'}</dd></div>
        <div><dt>Duration</dt><dd>{formatDuration(runDuration(run))}</dd></div>
        <div><dt>Exit code</dt><dd>{run.exitCode ?? '—'}</dd></div>
        {run.retries > 0 && <div><dt>Retries</dt><dd>{run.retries}</dd></div>}
        {run.cause && run.state !== 'success' && <div><dt>Failure cause</dt><dd>{run.cause.kind}: {run.cause.detail}</dd></div>}
        {run.errors.length > 0 && <div><dt>Errors</dt><dd>{run.errors.join('; ')}</dd></div>}
      </dl>
      <Actions run={run} onChange={loaded.reload} />
      <LogView id={run.processId} onStateChange={reloadSoon} />
      <Results id={run.processId} state={run.state} />
      <section aria-labelledby="attributes-title">
        <h2 id="attributes-title">Attributes</h2>
        <Attributes attributes={detail.attributes} />
      </section>
      <details>
        <summary>Spec</summary>
        <pre class="spec">{JSON.stringify(detail.spec, null, 2)}</pre>
      </details>
    </article>
  );
}
