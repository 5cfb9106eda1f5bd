// Executors and CFS files of the colony, as plain JSON for the pages. File
// records carry S3 credentials in `ref.s3object` on some colonies: only
// names, sizes, checksums and times leave this server.
import type { ColoniesClient } from '@pollinator/colonies-client';
import { summarizeExecutor, type ExecutorSummary } from '@pollinator/core';

export interface ExecutorView extends ExecutorSummary {
  /** Projects with an allocation on this executor (Colonies `allocations.projects`). */
  projects: string[];
  hardware: { model: string; cpu: string; memory: string; gpus: number; nodes: number }[];
}

export async function listExecutorViews(client: ColoniesClient, colonyName: string | undefined, signal?: AbortSignal): Promise<ExecutorView[]> {
  const executors = await client.getExecutors({ ...(colonyName === undefined ? {} : { colonyName }), ...(signal === undefined ? {} : { signal }) });
  return executors.map((executor) => ({
    ...summarizeExecutor(executor),
    projects: Object.keys(executor.allocations?.projects ?? {}).sort(),
    hardware: (executor.capabilities?.hardware ?? []).map((hardware) => ({
      model: hardware.model ?? '',
      cpu: hardware.cpu ?? '',
      memory: hardware.mem ?? '',
      gpus: hardware.gpu?.count ?? 0,
      nodes: hardware.nodes ?? 0,
    })),
  }));
}

export interface FilesOverview {
  labels: { name: string; files: number }[];
  snapshots: { snapshotId: string; name: string; label: string; files: number; added: string }[];
}

export async function filesOverview(client: ColoniesClient, colonyName: string | undefined, signal?: AbortSignal): Promise<FilesOverview> {
  const colony = colonyName === undefined ? {} : { colonyName };
  const call = signal === undefined ? {} : { signal };
  const [labels, snapshots] = await Promise.all([client.getFileLabels({ ...colony }, call), client.getSnapshots({ ...colony, ...call })]);
  return {
    labels: labels.map((label) => ({ name: label.name, files: label.files })).sort((a, b) => a.name.localeCompare(b.name)),
    snapshots: snapshots
      .map((snapshot) => ({ snapshotId: snapshot.snapshotid, name: snapshot.name, label: snapshot.label, files: (snapshot.fileids ?? []).length, added: snapshot.added }))
      .sort((a, b) => b.added.localeCompare(a.added)),
  };
}

export interface LabelFiles {
  label: string;
  files: { name: string; size: number; checksum: string; revisions: { fileId: string; size: number; checksum: string; added: string; sequence: number }[] }[];
}

/** The files of one label, each with every revision (newest first). */
export async function labelFiles(client: ColoniesClient, colonyName: string | undefined, label: string, signal?: AbortSignal): Promise<LabelFiles> {
  const colony = colonyName === undefined ? {} : { colonyName };
  const call = signal === undefined ? {} : { signal };
  const files = await client.getFiles(label, { ...colony, ...call });
  const withRevisions = await Promise.all(
    files.map(async (file) => {
      const revisions = await client.getFileRevisions({ label, name: file.name, ...colony }, call);
      return {
        name: file.name,
        size: file.size,
        checksum: file.checksum,
        revisions: revisions.map((revision) => ({
          fileId: revision.fileid,
          size: revision.size,
          checksum: revision.checksum,
          added: revision.added,
          sequence: revision.sequencenr,
        })),
      };
    }),
  );
  return { label, files: withRevisions.sort((a, b) => a.name.localeCompare(b.name)) };
}
