/**
 * What the executor tells: its events (to `onEvent`, whose failures are not
 * the executor's) and, on the server, a process's log lines, attributes and
 * close. Every server call here is best effort: a process that is closed or
 * no longer ours has nothing left to add to.
 */
import type { UnreadableProcessError } from '@pollinator/colonies-client';
import { errorText } from './error-text';
import { EXIT_CODE_ATTRIBUTE } from './exit-codes';
import type { ExecutorClient, ExecutorEvent } from './executor-types';
import { executorError } from './validate-spec';

/** Attribute types (ColonyOS). */
const ATTRIBUTE_OUT = 1;
const ATTRIBUTE_ENV = 3;

/** The client the executor acts with: the connection's, replaced by the executor's own once registered. */
export interface ExecutorConnection {
  client: ExecutorClient;
}

/** The HTTP status of a client error, if it has one. */
export function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

export class ExecutorReporter {
  readonly #connection: ExecutorConnection;
  readonly #onEvent: ((event: ExecutorEvent) => void) | undefined;

  constructor(connection: ExecutorConnection, onEvent: ((event: ExecutorEvent) => void) | undefined) {
    this.#connection = connection;
    this.#onEvent = onEvent;
  }

  emit(event: ExecutorEvent): void {
    try {
      this.#onEvent?.(event);
    } catch {
      // a listener's failure is not the executor's
    }
  }

  warn(message: string, context: { processId?: string; cause?: unknown } = {}): void {
    this.emit({ type: 'warning', message, ...context });
  }

  /** Adds `message` to the process log. */
  async log(processId: string, message: string): Promise<void> {
    try {
      await this.#connection.client.addLog(processId, message);
    } catch {
      // the process may be closed or no longer ours: nothing to add to
    }
  }

  /** Backend attributes (SLURM-JOBID, NODES, …): informational, a failure is ignored. */
  async recordAttributes(processId: string, attributes: Record<string, string>): Promise<void> {
    for (const [key, value] of Object.entries(attributes)) {
      await this.#connection.client.addAttribute({ processId, key, value, type: ATTRIBUTE_ENV }).catch(() => undefined);
    }
  }

  /**
   * A run-record attribute (type OUT, like the exit code): only the assigned
   * executor may add it, and only while the process runs. False (with a
   * warning) when the server refused it.
   */
  async recordOutput(processId: string, key: string, value: string): Promise<boolean> {
    try {
      await this.#connection.client.addAttribute({ processId, key, value, type: ATTRIBUTE_OUT });
      return true;
    } catch (error) {
      this.warn(`could not record ${key}: ${errorText(error)}`, { processId, cause: error });
      return false;
    }
  }

  async recordExitCode(processId: string, exitCode: number): Promise<void> {
    try {
      await this.#connection.client.addAttribute({ processId, key: EXIT_CODE_ATTRIBUTE, value: String(exitCode), type: ATTRIBUTE_OUT });
    } catch (error) {
      this.warn(`could not record the exit code: ${errorText(error)}`, { processId, cause: error });
    }
  }

  /** Logs the message, records the exit code (if any), closes the process failed. */
  async closeFailed(processId: string, message: string, exitCode?: number): Promise<void> {
    await this.log(processId, `${message}\n`);
    if (exitCode !== undefined) await this.recordExitCode(processId, exitCode);
    try {
      await this.#connection.client.closeFailed(processId, [message]);
      this.emit({ type: 'process.closed', processId, success: false, error: message, ...(exitCode !== undefined ? { exitCode } : {}) });
    } catch (error) {
      this.warn(`could not close the process failed: ${errorText(error)}`, { processId, cause: error });
    }
  }

  async closeSuccessful(processId: string): Promise<void> {
    await this.recordExitCode(processId, 0);
    try {
      await this.#connection.client.closeSuccessful(processId);
      this.emit({ type: 'process.closed', processId, success: true, exitCode: 0 });
    } catch (error) {
      this.warn(`could not close the process: ${errorText(error)}`, { processId, cause: error });
    }
  }

  /** A process assigned to us that cannot be decoded: closed failed rather than left RUNNING for ever. */
  async closeUnreadable(error: UnreadableProcessError): Promise<void> {
    const processId = error.processId;
    this.warn(`assigned a process this executor cannot read: ${error.message}`, { cause: error, ...(processId ? { processId } : {}) });
    if (!processId) return;
    await this.closeFailed(processId, executorError(`the executor could not read the process (${error.message})`, 'Failed to parse process'));
  }
}
