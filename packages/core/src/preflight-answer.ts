/**
 * The preflight of `pollinator plan --check`, as it travels through ColonyOS:
 * a short-lived process with its own funcname, targeted like the real job
 * (same conditions and kwargs, no staging), that the executor closes with its
 * backend's answer as the process output — never starting a job. Executors
 * that do not know the funcname (the Go executors) leave it waiting until
 * its maxwaittime ends it.
 */
import type { JobPreflight } from './backend';

/** The funcname the executor runtime answers instead of running a job. */
export const PREFLIGHT_FUNCNAME = 'pollinator-preflight';

/** What the executor closes a preflight process with (its one output value). */
export interface PreflightAnswer extends JobPreflight {
  /** The backend that answered (`slurm`, `k8s`, `local`). */
  backend: string;
  /** False when the backend has no scheduler to ask: the answer only says the spec is valid for it. */
  checked: boolean;
}

/** The answer as the process's output value (a plain JSON object). */
export function preflightOutput(answer: PreflightAnswer): { [key: string]: string | boolean } {
  const { ok, message, backend, checked, earliestStart } = answer;
  return { kind: PREFLIGHT_FUNCNAME, ok, message, backend, checked, ...(earliestStart === undefined ? {} : { earliestStart }) };
}

/** The answer in a closed preflight process's output, or undefined when there is none (not written by us). */
export function readPreflightOutput(out: readonly unknown[] | null | undefined): PreflightAnswer | undefined {
  const value = out?.[0];
  if (typeof value !== 'object' || value === null) return undefined;
  const fields = value as Record<string, unknown>;
  if (fields.kind !== PREFLIGHT_FUNCNAME || typeof fields.ok !== 'boolean' || typeof fields.message !== 'string') return undefined;
  return {
    ok: fields.ok,
    message: fields.message,
    backend: typeof fields.backend === 'string' ? fields.backend : 'unknown',
    checked: fields.checked === true,
    ...(typeof fields.earliestStart === 'string' ? { earliestStart: fields.earliestStart } : {}),
  };
}
