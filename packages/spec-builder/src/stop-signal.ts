/**
 * `environment.stopSignal`: a signal the job receives `before` seconds ahead
 * of its wall-time limit, so it can write a checkpoint (into cfs/result) and
 * resume from it on its next attempt. The spec carries it in two kwargs
 * (`stop-signal`, `stop-signal-before`) that the original Go executors ignore;
 * Pollinator's executors read them with `readStopSignal` and deliver the
 * signal (Slurm `--signal=B:SIG@t`, Kubernetes before `activeDeadlineSeconds`,
 * local before the deadline).
 */
import { z } from 'zod';

/**
 * Signals a job may ask for. Not SIGKILL/SIGSTOP (cannot be caught), not
 * SIGINT/SIGQUIT (srun reads those itself: a first SIGINT only prints the
 * step's status).
 */
export const STOP_SIGNALS = ['SIGUSR1', 'SIGUSR2', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignalName = (typeof STOP_SIGNALS)[number];

/** The most lead time Slurm accepts (`--signal=SIG@t`, t ≤ 65535). */
export const MAX_STOP_SIGNAL_LEAD_SECONDS = 65_535;

/** FunctionSpec kwargs that carry the stop signal. */
export const STOP_SIGNAL_KWARGS = { signal: 'stop-signal', before: 'stop-signal-before' } as const;

/** A stop signal: which one, and how many seconds before the wall-time limit. */
export interface StopSignal {
  signal: StopSignalName;
  /** Seconds before the wall-time limit, 1 … walltime − 1. */
  beforeSeconds: number;
}

export const STOP_SIGNAL_ALLOWED = {
  'environment.stopSignal': 'a mapping with before (seconds before the walltime) and optionally signal (default SIGUSR1)',
  'environment.stopSignal.signal': `one of ${STOP_SIGNALS.join(', ')} (the "SIG" may be left out, e.g. USR1)`,
  'environment.stopSignal.before': `a whole number of seconds from 1 to ${MAX_STOP_SIGNAL_LEAD_SECONDS}, less than conditions.walltime`,
} as const;

/** `USR1`, `sigusr1`, `SIGUSR1` → `SIGUSR1`; undefined for anything else. */
export function stopSignalName(value: unknown): StopSignalName | undefined {
  if (typeof value !== 'string') return undefined;
  const upper = value.trim().toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  return (STOP_SIGNALS as readonly string[]).includes(name) ? (name as StopSignalName) : undefined;
}

/** The project.yaml schema of `environment.stopSignal`. */
export const stopSignalSchema = z
  .strictObject(
    {
      signal: z
        .string({ error: () => STOP_SIGNAL_ALLOWED['environment.stopSignal.signal'] })
        .refine((value) => stopSignalName(value) !== undefined, { error: () => STOP_SIGNAL_ALLOWED['environment.stopSignal.signal'] })
        .transform((value) => stopSignalName(value)!)
        .default('SIGUSR1')
        .describe('Signal sent to the job before its time limit: SIGUSR1 (default), SIGUSR2, SIGTERM or SIGHUP.'),
      before: z
        .int({ error: () => STOP_SIGNAL_ALLOWED['environment.stopSignal.before'] })
        .min(1, { error: () => STOP_SIGNAL_ALLOWED['environment.stopSignal.before'] })
        .max(MAX_STOP_SIGNAL_LEAD_SECONDS, { error: () => STOP_SIGNAL_ALLOWED['environment.stopSignal.before'] })
        .describe('Seconds before conditions.walltime the signal is sent (Slurm sends it up to 60 s later than asked).'),
    },
    { error: () => STOP_SIGNAL_ALLOWED['environment.stopSignal'] },
  )
  .describe('A signal before the wall-time limit, so the job can write a checkpoint (docs/project-yaml.md, stopSignal).');

/** Why `before` does not fit the walltime, or undefined when it does. */
export function stopSignalWalltimeProblem(beforeSeconds: number, walltimeSeconds: number): string | undefined {
  if (beforeSeconds < walltimeSeconds) return undefined;
  return `the stop signal would come ${beforeSeconds} s before a walltime of ${walltimeSeconds} s, that is before the job starts: make before less than conditions.walltime (or raise walltime)`;
}

/** The kwargs of a spec that asks for `stopSignal`. */
export function stopSignalKwargs(stopSignal: StopSignal): Record<string, string | number> {
  return { [STOP_SIGNAL_KWARGS.signal]: stopSignal.signal, [STOP_SIGNAL_KWARGS.before]: stopSignal.beforeSeconds };
}

/**
 * The stop signal a spec asks for, for executors: undefined when its kwargs
 * have none, `{ error }` when they are not what `buildFunctionSpec` writes (a
 * hand-made or hostile spec; the executor fails the process with it).
 */
export function readStopSignal(
  spec: { kwargs?: Record<string, unknown> | null; conditions?: { walltime?: number } },
): StopSignal | undefined | { error: string } {
  const kwargs = spec.kwargs ?? {};
  const rawSignal = kwargs[STOP_SIGNAL_KWARGS.signal];
  const rawBefore = kwargs[STOP_SIGNAL_KWARGS.before];
  if (rawSignal === undefined && rawBefore === undefined) return undefined;
  const signal = stopSignalName(rawSignal);
  if (signal === undefined) {
    return { error: `Invalid funcspec, kwargs["${STOP_SIGNAL_KWARGS.signal}"] must be one of ${STOP_SIGNALS.join(', ')}, got ${JSON.stringify(rawSignal)}` };
  }
  const before = rawBefore;
  if (typeof before !== 'number' || !Number.isInteger(before) || before < 1 || before > MAX_STOP_SIGNAL_LEAD_SECONDS) {
    return { error: `Invalid funcspec, kwargs["${STOP_SIGNAL_KWARGS.before}"] must be a whole number of seconds from 1 to ${MAX_STOP_SIGNAL_LEAD_SECONDS}, got ${JSON.stringify(before)}` };
  }
  const walltime = spec.conditions?.walltime ?? 0;
  const problem = walltime > 0 ? stopSignalWalltimeProblem(before, walltime) : undefined;
  if (problem !== undefined) return { error: `Invalid funcspec, ${problem}` };
  return { signal, beforeSeconds: before };
}
