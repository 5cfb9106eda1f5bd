/**
 * Which failures a process is retried after, and how each retry grows it
 * (issue #17, "retries that retry"). project.yaml's `retryOn` and
 * `retryGrowth` travel in the spec's `env` (like the forward ports), so the
 * executor that sees the failure knows the policy without asking anyone, and
 * the process record shows it. A spec without these entries gets the
 * documented defaults: retried after a node failure or a preemption, never
 * after its own failure.
 */
import { SPEC_LIMITS } from './limits';

/** `env` key: the causes a failed attempt is retried after, comma-separated ("node-failure,preempted,out-of-memory"). */
export const RETRY_ON_ENV = 'POLLINATOR_RETRY_ON';
/** `env` key: what an out-of-memory retry multiplies `conditions.mem` by ("1.5"). */
export const RETRY_MEMORY_FACTOR_ENV = 'POLLINATOR_RETRY_MEMORY_FACTOR';
/** `env` key: what a time-limit retry multiplies `conditions.walltime` (and `maxexectime`) by ("2"). */
export const RETRY_WALLTIME_FACTOR_ENV = 'POLLINATOR_RETRY_WALLTIME_FACTOR';

/** The values of `retryOn`: four causes, and `any-failure` for every failure but a cancel. */
export const RETRY_ON_VALUES = ['node-failure', 'preempted', 'out-of-memory', 'time-limit', 'any-failure'] as const;
export type RetryOn = (typeof RETRY_ON_VALUES)[number];

/** Not caused by the job: retrying is always worth it. */
export const DEFAULT_RETRY_ON: readonly RetryOn[] = ['node-failure', 'preempted'];

/** Largest growth factor per attempt (a 3rd attempt at 8× is already 64× the memory asked for). */
export const MAX_RETRY_FACTOR = 8;

export interface RetryPolicy {
  on: RetryOn[];
  /** ≥ 1; 1 = the same memory. */
  memoryFactor: number;
  /** ≥ 1; 1 = the same walltime. */
  walltimeFactor: number;
}

export function isRetryOn(value: unknown): value is RetryOn {
  return typeof value === 'string' && (RETRY_ON_VALUES as readonly string[]).includes(value);
}

/** A factor is a finite number from 1 to MAX_RETRY_FACTOR. */
export function isRetryFactor(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 1 && value <= MAX_RETRY_FACTOR;
}

/** The `env` entries of a policy; none for the defaults, so a project without `retryOn` keeps its spec as before. */
export function retryPolicyEnv(policy: Partial<RetryPolicy>): Record<string, string> {
  const env: Record<string, string> = {};
  if (policy.on !== undefined) env[RETRY_ON_ENV] = policy.on.length === 0 ? 'none' : [...new Set(policy.on)].join(',');
  if (policy.memoryFactor !== undefined && policy.memoryFactor !== 1) env[RETRY_MEMORY_FACTOR_ENV] = String(policy.memoryFactor);
  if (policy.walltimeFactor !== undefined && policy.walltimeFactor !== 1) env[RETRY_WALLTIME_FACTOR_ENV] = String(policy.walltimeFactor);
  return env;
}

function factorFrom(text: string | undefined): number {
  if (text === undefined) return 1;
  const value = Number(text);
  return isRetryFactor(value) ? value : 1;
}

/**
 * The policy a spec's `env` carries. A spec comes from any colony member:
 * unknown causes are ignored and a factor out of range counts as 1 (no
 * growth), so a hostile entry can neither loop nor blow up a retry.
 */
export function retryPolicyFromEnv(env: Record<string, unknown> | null | undefined): RetryPolicy {
  const raw = env?.[RETRY_ON_ENV];
  const on = typeof raw === 'string' ? raw.split(',').map((entry) => entry.trim()).filter(isRetryOn) : [...DEFAULT_RETRY_ON];
  const text = (key: string) => (typeof env?.[key] === 'string' ? env[key] : undefined);
  return { on, memoryFactor: factorFrom(text(RETRY_MEMORY_FACTOR_ENV)), walltimeFactor: factorFrom(text(RETRY_WALLTIME_FACTOR_ENV)) };
}

/** `value × factor`, rounded up, at most `limit` (the spec limits: a grown spec must stay one every executor accepts). */
export function grownValue(value: number, factor: number, limit: number): number {
  return Math.min(limit, Math.ceil(value * factor));
}

/** The spec limits a grown retry is bounded by. */
export const RETRY_GROWTH_LIMITS = { memoryBytes: SPEC_LIMITS.memoryBytes, walltimeSeconds: SPEC_LIMITS.walltimeSeconds } as const;
