/**
 * The executor's side of `pollinator plan --check`: a process with the
 * preflight funcname is answered, not run. Its job request is built as the
 * real job's would be (same kwargs and conditions, no staged dirs), the
 * backend is asked whether it could run it, and the process is closed
 * successful with the answer as its output. Nothing is staged, pulled or
 * started; a spec the executor would refuse is answered `ok: false` with the
 * reason it would give for the real job.
 */
import { mkdirSync, rmSync } from 'node:fs';
import type { ExecutorContext } from './executor-context';
import { buildJobRequest } from './executor-job-request';
import { jobWorkDir } from './executor-options';
import type { ExecutorProcess } from './executor-types';
import { errorText } from './error-text';
import { preflightOutput, type PreflightAnswer } from './preflight-answer';
import { validateFunctionSpec } from './validate-spec';

/** The backend's answer for the process's job (or why the executor would refuse it). */
async function askBackend(context: ExecutorContext, process: ExecutorProcess, workDir: string): Promise<PreflightAnswer> {
  const { backend, protectedPaths } = context.settings;
  const refused = (message: string): PreflightAnswer => ({ ok: false, message, backend: backend.name, checked: true });
  const invalid = validateFunctionSpec({ ...process.spec, funcname: 'execute' });
  if (invalid) return refused(invalid);
  const job = buildJobRequest(process, workDir, [], protectedPaths);
  if ('error' in job) return refused(job.error);
  if (!backend.preflightJob) {
    return { ok: true, message: `the ${backend.name} backend accepts the job (it has no scheduler to ask)`, backend: backend.name, checked: false };
  }
  try {
    return { ...(await backend.preflightJob(job)), backend: backend.name, checked: true };
  } catch (error) {
    return refused(`the ${backend.name} backend could not be asked: ${errorText(error)}`);
  }
}

/** Answers a preflight process and closes it; never starts a job. */
export async function answerPreflight(context: ExecutorContext, process: ExecutorProcess): Promise<void> {
  const { reporter, settings, connection } = context;
  const processId = process.processid;
  reporter.emit({ type: 'assigned', processId, funcname: process.spec.funcname });
  const workDir = jobWorkDir(settings, processId);
  mkdirSync(workDir, { recursive: true });
  try {
    const answer = await askBackend(context, process, workDir);
    await reporter.log(processId, `[pollinator] preflight (${answer.backend}): ${answer.ok ? 'ok' : 'refused'}: ${answer.message}\n`);
    await connection.client.closeSuccessful(processId, [preflightOutput(answer)]);
    reporter.emit({ type: 'process.closed', processId, success: true, exitCode: 0 });
  } catch (error) {
    reporter.warn(`could not answer the preflight: ${errorText(error)}`, { processId, cause: error });
    await reporter.closeFailed(processId, `preflight failed: ${errorText(error)}`);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}
