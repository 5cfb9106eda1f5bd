// Executors and CFS files of the colony, as plain JSON for the pages. File
// records carry S3 credentials in `ref.s3object` on some colonies: only
// names, sizes, checksums and times leave this server.
import type { ColoniesClient } from '@pollinator/colonies-client';
import { summarizeExecutor, type ExecutorSummary } from '@pollinator/core';
import type { ExecutorView, FilesOverview, LabelFiles } from './api-types';

interface ProjectConditions {
  executorType: string;
  executorNames: string[];
}

/** What each project's newest run asked for (its spec's conditions), by project name (the spec's label). */
async function projectConditions(client: ColoniesClient, colonyName: string | undefined, signal?: AbortSignal): Promise<Map<string, ProjectConditions>> {
  const call = signal === undefined ? {} : { signal };
  const listings = await Promise.all(
    ([0, 1, 2, 3, 4] as const).map((state) => client.getProcessListing({ state, count: 100, ...(colonyName === undefined ? {} : { colonyName }) }, call)),
  );
  const newest = new Map<string, { submitted: number; conditions: ProjectConditions }>();
  for (const process of listings.flatMap((listing) => listing.processes)) {
    const label = process.spec.label;
    if (label === '') continue;
    const submitted = Date.parse(process.submissiontime) || 0;
    if ((newest.get(label)?.submitted ?? -1) >= submitted) continue;
    const conditions = process.spec.conditions;
    newest.set(label, { submitted, conditions: { executorType: conditions.executortype, executorNames: [...(conditions.executornames ?? [])] } });
  }
  return new Map([...newest].map(([label, entry]) => [label, entry.conditions]));
}

/** Whether `executor` can take a job with these conditions, and if not, why not (as `pollinator executors` says it). */
export function canRun(executor: ExecutorSummary, conditions: ProjectConditions): { canRun: boolean; reason: string } {
  if (executor.state !== 'approved') return { canRun: false, reason: `not approved (${executor.state})` };
  if (executor.type !== conditions.executorType) return { canRun: false, reason: `type ${executor.type}, the project asks for ${conditions.executorType}` };
  if (conditions.executorNames.length > 0 && !conditions.executorNames.includes(executor.name)) {
    return { canRun: false, reason: `not in executorNames (${conditions.executorNames.join(', ')})` };
  }
  return { canRun: true, reason: '' };
}

export async function listExecutorViews(client: ColoniesClient, colonyName: string | undefined, signal?: AbortSignal): Promise<ExecutorView[]> {
  const [executors, projects] = await Promise.all([
    client.getExecutors({ ...(colonyName === undefined ? {} : { colonyName }), ...(signal === undefined ? {} : { signal }) }),
    projectConditions(client, colonyName, signal),
  ]);
  const projectNames = [...projects.keys()].sort();
  return executors.map((executor) => {
    const summary = summarizeExecutor(executor);
    return {
      ...summary,
      projects: Object.keys(executor.allocations?.projects ?? {}).sort(),
      runnable: projectNames.map((project) => ({ project, ...canRun(summary, projects.get(project)!) })),
      hardware: (executor.capabilities?.hardware ?? []).map((hardware) => ({
        model: hardware.model ?? '',
        cpu: hardware.cpu ?? '',
        memory: hardware.mem ?? '',
        gpus: hardware.gpu?.count ?? 0,
        nodes: hardware.nodes ?? 0,
      })),
    };
  });
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
