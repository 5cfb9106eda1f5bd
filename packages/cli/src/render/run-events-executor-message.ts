/**
 * Telling the executor's own messages apart from the job's output in a
 * process log. Executors write both into the same log: the job's output in
 * chunks, and their own messages as separate entries that start with a
 * fixed prefix: `ContainerExecutor: …` (a failure, the original executors'
 * wording, also in the process's errors), `Pollinator: …` (what the
 * TypeScript executor did, e.g. staging) and `ColonyOS: …` (the Go
 * executors' debug lines). `pollinator run > job.log` must capture the job's
 * output only, so these go to stderr (or the summary) instead.
 */
const EXECUTOR_PREFIXES = ['ContainerExecutor: ', 'Pollinator: ', 'ColonyOS: '] as const;

export type LogOrigin = 'job' | 'executor';

/** Who wrote a log entry. */
export function logOrigin(message: string): LogOrigin {
  return EXECUTOR_PREFIXES.some((prefix) => message.startsWith(prefix)) ? 'executor' : 'job';
}

/**
 * A step of the executor's work a watching user only needs while it happens
 * (`Pollinator: staging …`, `Pollinator: staged …`): on a terminal the status
 * line shows it; written out, one line per step is the log of it.
 */
export function isProgressMessage(message: string): boolean {
  return message.startsWith('Pollinator: staging ') || message.startsWith('Pollinator: staged ');
}

/** A failure message of the executor (also recorded as the process's error). */
export function isExecutorFailure(message: string): boolean {
  return message.startsWith('ContainerExecutor: ');
}

/** The message as one line for stderr: without the trailing newline. */
export function executorMessageText(message: string): string {
  return message.replace(/\s+$/, '');
}
