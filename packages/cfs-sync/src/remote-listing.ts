import type pLimit from 'p-limit';
import { throwIfAborted } from './errors';
import { assertSafeLabel, labelToRelative, relativeToLabel } from './paths';
import type { PlanOptions, PlanRemoteFile, SyncSource } from './plan-types';
import type { CfsMetadata } from './types';

// The remote half of planning: what CFS has at or below the synced label,
// from the label's newest revisions or from a snapshot's frozen ones.

/**
 * Lists the root label and every sub-label, robust to the server quirk that an
 * exact lookup returns nothing when the root label has no direct files: a
 * prefix lookup, filtered to `label` and `label/…`.
 */
export async function listLabels(metadata: CfsMetadata, label: string): Promise<string[]> {
  const labels = await metadata.getFileLabels(label, false);
  return (labels ?? [])
    .map((entry) => entry.name)
    .filter((name) => name === label || name.startsWith(`${label}/`));
}

/** What the remote side has: every label at or below the synced one → its files. */
export interface RemoteListing {
  remote: Map<string, PlanRemoteFile[]>;
  /** Metadata RPCs made. */
  calls: number;
  /** The snapshot the listing came from, for a snapshot source. */
  source?: { snapshotId: string; snapshotName: string; snapshotLabel: string };
}

/**
 * The revisions a snapshot froze (`getsnapshotmsg`, then one `getfilemsg` per
 * file id, bounded by `limit`), as a listing of `options.label`: the
 * snapshot's label maps to it, sub-labels keep their relative paths.
 */
export async function listSnapshot(options: PlanOptions, source: SyncSource, limit: ReturnType<typeof pLimit>): Promise<RemoteListing> {
  const snapshot = await options.metadata.getSnapshot({ snapshotId: source.snapshotId });
  assertSafeLabel(snapshot.label);
  const ids = snapshot.fileids ?? [];
  const files = await Promise.all(
    ids.map((id) =>
      limit(async () => {
        throwIfAborted(options.signal);
        return options.metadata.getFileById(id);
      }),
    ),
  );
  const remote = new Map<string, PlanRemoteFile[]>([[options.label, []]]);
  for (const file of files) {
    const label = relativeToLabel(options.label, labelToRelative(snapshot.label, file.label));
    const list = remote.get(label) ?? [];
    remote.set(label, list);
    list.push({ name: file.name, checksum: file.checksum, size: file.size, s3filename: file.ref?.s3object?.object ?? '', added: file.added });
  }
  return {
    remote,
    calls: 1 + ids.length,
    source: { snapshotId: snapshot.snapshotid, snapshotName: snapshot.name, snapshotLabel: snapshot.label },
  };
}

/** One label listing, then one file listing per label (in parallel, bounded by `limit`). */
export async function listRemote(options: PlanOptions, limit: ReturnType<typeof pLimit>): Promise<RemoteListing> {
  const labels = await listLabels(options.metadata, options.label);
  const listed = await Promise.all(
    labels.map((label) =>
      limit(async () => {
        throwIfAborted(options.signal);
        return [label, (await options.metadata.getFiles(label)) ?? []] as const;
      }),
    ),
  );
  return { remote: new Map(listed), calls: 1 + labels.length };
}
