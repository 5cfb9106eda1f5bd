import type { CommandContext } from '../context';

/**
 * `pollinator funcspec`: the FunctionSpec `run` would submit, built from
 * project.yaml alone: nothing is uploaded and no server is contacted. The
 * snapshot id, known only at run time, is the placeholder `{snapshotid}`.
 */
export async function run(context: CommandContext): Promise<number> {
  const { loadProject, buildFunctionSpec } = await import('@pollinator/spec-builder');
  const { DRY_RUN_SNAPSHOT_ID } = await import('@pollinator/core');
  const loaded = await loadProject(context.cwd);
  const { output } = context;
  for (const warning of loaded.warnings) output.warn(`${warning.file}:${warning.line}:${warning.column} ${warning.path}: ${warning.message}`);
  const colonyName =
    context.config.mode === 'colony' ? (context.config.env.COLONIES_COLONY_NAME ?? '') : 'dev';
  const spec = buildFunctionSpec(loaded.project, { colonyName: colonyName === '' ? 'dev' : colonyName, snapshotId: DRY_RUN_SNAPSHOT_ID, dataSnapshotId: DRY_RUN_SNAPSHOT_ID });
  if (output.isJson) output.json({ type: 'spec.built', spec });
  else output.result(JSON.stringify(spec, null, 2));
  return 0;
}
