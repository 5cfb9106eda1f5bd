/**
 * A job's stop signal (project.yaml `environment.stopSignal`): the signal a
 * job receives `beforeSeconds` ahead of its wall-time limit so it can write a
 * checkpoint. Every backend delivers it to every process of the job; the
 * shells Pollinator wraps around the job's command catch it and do nothing
 * (`ignoreStopSignal`), so they outlive it while the job's program handles it
 * and writes its checkpoint.
 */

/** The signals a spec may ask for (spec-builder's STOP_SIGNALS). */
export type JobStopSignalName = 'SIGUSR1' | 'SIGUSR2' | 'SIGTERM' | 'SIGHUP';

export interface JobStopSignal {
  signal: JobStopSignalName;
  /** Seconds before `resources.walltimeSeconds`; less than it. */
  beforeSeconds: number;
}

/** `SIGUSR1` → `USR1` (what `trap`, `kill -s` and `sbatch --signal` take). */
export function shortSignalName(signal: JobStopSignalName): string {
  return signal.slice(3);
}

/**
 * The shell text with the stop signal caught and ignored by the shell that
 * runs it (`trap : USR1; …`), so a wrapper shell never dies of it while its
 * child writes a checkpoint. A caught signal is reset to its default in the
 * programs the shell starts (unlike `trap ''`, which they would inherit, and
 * which a POSIX shell script could then not trap again): a program gets it
 * as it would without Pollinator, and handles it (Python `signal.signal`,
 * a shell's `trap`) or ends. '' stays '' (no init command).
 */
export function ignoreStopSignal(script: string, stopSignal: JobStopSignal | undefined): string {
  if (stopSignal === undefined || script.trim() === '') return script;
  return `trap : ${shortSignalName(stopSignal.signal)}; ${script}`;
}

/** Milliseconds after the job's start when the stop signal is due; undefined when there is none or no walltime. */
export function stopSignalDelayMs(stopSignal: JobStopSignal | undefined, walltimeSeconds: number): number | undefined {
  if (stopSignal === undefined || walltimeSeconds <= 0 || stopSignal.beforeSeconds >= walltimeSeconds) return undefined;
  return (walltimeSeconds - stopSignal.beforeSeconds) * 1000;
}
