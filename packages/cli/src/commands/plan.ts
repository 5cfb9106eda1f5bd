import type { FunctionSpec } from '@pollinator/colonies-client';
import type { ErrorEvent } from '@pollinator/core';
import type { LoadedProject } from '@pollinator/spec-builder';
import type { CommandContext } from '../context';
import { CliExitCode } from '../exit-codes';
import { connectColony } from '../runtime/colony';
import { checkSpec, parseWaitSeconds } from './plan-check';
import { renderRunErrors } from '../render/outcome';
import { RunRenderer } from '../render/run-events';

export interface PlanOptions {
  all?: boolean;
  /** Plan as `run --force` would: local copies win over newer remote ones. */
  force?: boolean;
  /** Then ask an executor whether it could run the job (`--check`), waiting at most `wait` seconds. */
  check?: boolean;
  wait?: string;
}

/**
 * Loads the project before anything starts (no server, no state for a broken
 * project.yaml). With `--json`, an invalid project is reported as the same
 * `error` event a run emits, with every problem structured in `issues`, and
 * its exit code is returned; otherwise the error is thrown to be explained.
 */
export async function loadProjectOrReport(context: CommandContext): Promise<LoadedProject | number> {
  const { loadProject, ProjectConfigError } = await import('@pollinator/spec-builder');
  try {
    return await loadProject(context.cwd);
  } catch (error) {
    if (!context.output.isJson || !ProjectConfigError.isInstance(error)) throw error;
    const event: ErrorEvent = {
      type: 'error',
      code: 'INVALID_PROJECT',
      message: error.message,
      exitCode: CliExitCode.INVALID_PROJECT,
      issues: error.issues,
    };
    new RunRenderer(context.output).handle(event);
    renderRunErrors(context.output, [event], undefined);
    return event.exitCode;
  }
}

/**
 * `pollinator plan` (= `run --dry-run`): load the project, plan the syncs of
 * src and data against what the colony has, and print every file with its
 * action and reason (ignored files name the rule), the totals and the
 * function spec. Changes nothing: no upload, no snapshot, no submit.
 */
export async function run(context: CommandContext, options: PlanOptions): Promise<number> {
  const { output } = context;
  // A broken project.yaml stops here, before any server starts or state is created.
  const loaded = await loadProjectOrReport(context);
  if (typeof loaded === 'number') return loaded;
  const check = options.check === true;
  const { DEFAULT_PREFLIGHT_WAIT_SECONDS } = await import('@pollinator/core');
  const waitSeconds = parseWaitSeconds(options.wait, DEFAULT_PREFLIGHT_WAIT_SECONDS);
  // A check submits a (short-lived) process: on the embedded default that needs its service and executor.
  const connection = await connectColony(context, { executor: check, readOnly: !check });
  const blobStore = await connection.blobStore();
  const { runProject } = await import('@pollinator/core');
  const renderer = new RunRenderer(output, { showPlanEntries: true, showUnchanged: options.all === true });
  const execution = runProject({
    dir: context.cwd,
    client: connection.client,
    colonyName: connection.colonyName,
    blobStore,
    signal: context.signal,
    dryRun: true,
    force: options.force === true,
  });
  let spec: FunctionSpec | undefined;
  for await (const event of execution) {
    if (event.type === 'spec.built') spec = event.spec;
    renderer.handle(event);
  }
  const result = await execution.result;
  renderer.finish();
  if (renderer.errors.length > 0) renderRunErrors(output, renderer.errors, undefined);
  else if (!output.isJson) {
    output.line('');
    output.line(output.colors.dim(`Nothing was changed. \`pollinator run\` uploads the files above and submits the spec to ${connection.description}.`));
  }
  if (check && result.exitCode === CliExitCode.SUCCESS && spec) return checkSpec(context, connection, spec, waitSeconds);
  return result.exitCode;
}
