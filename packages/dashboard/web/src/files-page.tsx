/** Files: CFS labels, the files of one label with their revisions, and snapshots. */
import { useState } from 'preact/hooks';
import type { FilesOverview, LabelFiles } from './api';
import { EmptyState, ErrorNotice, Loading } from './feedback';
import { formatBytes, formatTime } from './format';
import { useJson } from './use-json';

function LabelDetail({ label }: { label: string }) {
  const loaded = useJson<LabelFiles>(`/api/files?label=${encodeURIComponent(label)}`);
  if (loaded.error) return <ErrorNotice error={loaded.error} onRetry={loaded.reload} />;
  if (!loaded.data) return <Loading what={`the files of ${label}`} />;
  if (loaded.data.files.length === 0) return <p>No files under {label}.</p>;
  return (
    <table>
      <caption>Files under {label}</caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Size</th>
          <th scope="col">Revisions</th>
          <th scope="col">Latest</th>
        </tr>
      </thead>
      <tbody>
        {loaded.data.files.map((file) => (
          <tr key={file.name}>
            <th scope="row">{file.name}</th>
            <td>{formatBytes(file.size)}</td>
            <td>{file.revisions.length}</td>
            <td>{formatTime(file.revisions[0]?.added)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function FilesPage() {
  const overview = useJson<FilesOverview>('/api/files');
  const [label, setLabel] = useState<string | undefined>(undefined);
  const data = overview.data;
  return (
    <section aria-labelledby="files-title">
      <h1 id="files-title">Files</h1>
      {overview.error && <ErrorNotice error={overview.error} onRetry={overview.reload} />}
      {!data && !overview.error && <Loading what="files" />}
      {data && data.labels.length === 0 && (
        <EmptyState title="No files yet">
          <p>
            <code>pollinator run</code> uploads a project's <code>cfs/src</code> and <code>cfs/data</code>; they appear here by label.
          </p>
        </EmptyState>
      )}
      {data && data.labels.length > 0 && (
        <div class="files">
          <nav aria-label="Labels">
            <h2>Labels</h2>
            <ul>
              {data.labels.map((entry) => (
                <li key={entry.name}>
                  <button type="button" aria-pressed={label === entry.name} onClick={() => setLabel(entry.name)}>
                    {entry.name}
                  </button>{' '}
                  <span class="size">{entry.files} files</span>
                </li>
              ))}
            </ul>
          </nav>
          <div>{label ? <LabelDetail label={label} /> : <p>Choose a label to see its files and revisions.</p>}</div>
        </div>
      )}
      {data && (
        <section aria-labelledby="snapshots-title">
          <h2 id="snapshots-title">Snapshots</h2>
          {data.snapshots.length === 0 ? (
            <p>No snapshots: an executor takes one of a run's results when the job ends.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Label</th>
                  <th scope="col">Files</th>
                  <th scope="col">Taken</th>
                </tr>
              </thead>
              <tbody>
                {data.snapshots.map((snapshot) => (
                  <tr key={snapshot.snapshotId}>
                    <th scope="row">{snapshot.name}</th>
                    <td>{snapshot.label}</td>
                    <td>{snapshot.files}</td>
                    <td>{formatTime(snapshot.added)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
    </section>
  );
}
