/**
 * The result snapshot of a run (issue #14): once a job's results are
 * uploaded, the result label is frozen as a snapshot named after the process
 * id, so the run keeps its own results even after later runs of the project
 * upload theirs into the same label.
 */
import { createSnapshot, type BlobStore, type CfsMetadata, type Snapshot } from '@pollinator/cfs-sync';
import type { StagedDirectory } from './staging-paths';

/** Last component of the label Pollinator's specs upload results to (`/pollinator/<p>/result`). */
const RESULT_LABEL_NAME = 'result';

/**
 * The staged dir whose label holds the job's results: the synced dir
 * (`fs.dirs`) labelled `…/result`, or else the spec's only synced dir;
 * undefined when there is none (or several, none of them `…/result`).
 */
export function resultDirectory(dirs: readonly StagedDirectory[]): StagedDirectory | undefined {
  const synced = dirs.filter((dir) => dir.kind === 'dir');
  return synced.find((dir) => dir.label.split('/').at(-1) === RESULT_LABEL_NAME) ?? (synced.length === 1 ? synced[0] : undefined);
}

export interface ResultSnapshotOptions {
  metadata: CfsMetadata;
  store: BlobStore;
  label: string;
  processId: string;
  removeSnapshot(snapshotId: string): Promise<void>;
}

/**
 * Snapshots `label` under the name `processId`. A process run again (re-queued
 * after a failure or a lost executor) finds its earlier attempt's snapshot
 * holding the name: that one is replaced, the record points at this attempt.
 */
export async function snapshotResultLabel(options: ResultSnapshotOptions): Promise<Snapshot> {
  const { metadata, store, label, processId } = options;
  try {
    return await createSnapshot({ metadata, store, label, name: processId });
  } catch (error) {
    const earlier = await metadata.getSnapshot({ name: processId }).catch(() => undefined);
    if (!earlier) throw error;
    await options.removeSnapshot(earlier.snapshotid);
    return createSnapshot({ metadata, store, label, name: processId });
  }
}
