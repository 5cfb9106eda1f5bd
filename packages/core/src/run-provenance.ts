import type { FunctionSpec } from '@pollinator/spec-builder';
import { gitProvenance } from './git-provenance';
import { RunRecordKey } from './run-record-keys';

export interface ProvenanceInput {
  srcSnapshotId: string;
  dataSnapshotId: string;
  /** Version of the submitting tool. */
  toolVersion?: string;
  /** The project directory (its git commit and dirty flag are recorded when it is in a work tree). */
  dir: string;
}

/**
 * The submitter-side provenance of a run, as `spec.env` entries: the server
 * copies env entries into the process's attributes, so they are on the record
 * (and the job sees them as environment variables).
 */
export async function provenanceEnv(input: ProvenanceInput): Promise<Record<string, string>> {
  const git = await gitProvenance(input.dir);
  return {
    [RunRecordKey.srcSnapshot]: input.srcSnapshotId,
    [RunRecordKey.dataSnapshot]: input.dataSnapshotId,
    ...(input.toolVersion === undefined || input.toolVersion === '' ? {} : { [RunRecordKey.cliVersion]: input.toolVersion }),
    ...(git === undefined ? {} : { [RunRecordKey.gitCommit]: git.commit, [RunRecordKey.gitDirty]: String(git.dirty) }),
  };
}

/** `spec` with `env` entries added (they win over the project's own entries of the same name). */
export function withEnv(spec: FunctionSpec, env: Record<string, string>): FunctionSpec {
  return { ...spec, env: { ...spec.env, ...env } };
}
