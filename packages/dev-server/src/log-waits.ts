// Waiting for log lines (`pollinatorwaitlogsmsg`, the dev-server's own
// message; the real v1.9.12 protocol has no log push): a follower's request
// is held until a line is added to its process, the process changes state,
// the wait times out, the client goes away, or the server closes. One set of
// waits per engine, found through the engine's ProcessEvents (the handler
// context has no slot of its own for it).
import type { ProcessEvents } from './process-events';
import type { RpcReply } from './rpc-reply';

/** The longest a request may wait, ms (clients resend; the server's idle timeout is far longer). */
export const MAX_LOG_WAIT_MS = 30_000;

export class LogWaits {
  /** The wake-ups of the waits on each process. */
  readonly #byProcess = new Map<string, Set<() => void>>();
  readonly #byReply = new WeakMap<Promise<RpcReply>, () => void>();
  #closed = false;

  /**
   * The reply `answer()` builds once something happened to the process (or
   * after `timeoutMs`). It runs on a later turn of the event loop, so the
   * request that woke it (an addlog, a close) has finished its writes.
   */
  wait(processId: string, timeoutMs: number, answer: () => RpcReply): Promise<RpcReply> {
    if (this.#closed) return Promise.resolve().then(answer);
    let wake = (): void => undefined;
    const reply = new Promise<RpcReply>((resolve, reject) => {
      const timer = setTimeout(() => wake(), Math.min(timeoutMs, MAX_LOG_WAIT_MS));
      let woken = false;
      wake = () => {
        // Once only: the timer, a notify and the client's close (which also fires after a normal
        // reply) may all call it, and each extra call would read and encode a page again.
        if (woken) return;
        woken = true;
        this.#byReply.delete(reply);
        clearTimeout(timer);
        const waits = this.#byProcess.get(processId);
        waits?.delete(wake);
        if (waits?.size === 0) this.#byProcess.delete(processId);
        setImmediate(() => {
          try {
            resolve(answer());
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        });
      };
    });
    const waits = this.#byProcess.get(processId) ?? new Set();
    waits.add(wake);
    this.#byProcess.set(processId, waits);
    this.#byReply.set(reply, wake);
    return reply;
  }

  /** A line was added to the process, or its state changed: its waits answer. */
  notify(processId: string): void {
    const waits = this.#byProcess.get(processId);
    if (waits) for (const wake of [...waits]) wake();
  }

  /** The client of `reply` went away (a finished wait is ignored). */
  abandon(reply: Promise<RpcReply>): void {
    const wake = this.#byReply.get(reply);
    this.#byReply.delete(reply);
    wake?.();
  }

  /** Answers every wait now and every later one at once (graceful shutdown never waits for a follower). */
  close(): void {
    this.#closed = true;
    for (const processId of [...this.#byProcess.keys()]) this.notify(processId);
  }

  get size(): number {
    let size = 0;
    for (const waits of this.#byProcess.values()) size += waits.size;
    return size;
  }
}

const waitsByEngine = new WeakMap<ProcessEvents, LogWaits>();

/** The engine's waits (made on first use; a state change of a process wakes its waits). */
export function logWaitsOf(events: ProcessEvents): LogWaits {
  let waits = waitsByEngine.get(events);
  if (waits === undefined) {
    const created = new LogWaits();
    events.onStateChange((processId) => created.notify(processId));
    waitsByEngine.set(events, created);
    waits = created;
  }
  return waits;
}

/** The waits of an engine that has some, or none (closing need not make them). */
export function existingLogWaits(events: ProcessEvents): LogWaits | undefined {
  return waitsByEngine.get(events);
}
