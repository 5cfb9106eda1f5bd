// What `/pubsub` hears: after every committed process state change the
// engine emits the process, pretty-printed, to its listeners — built only
// when a subscriber could want it.
import { goJson } from './go-json';
import type { JsonObject } from './json-reader';
import type { Logger } from './logger';
import { processJson, type ProcessJsonOptions, type ProcessRow } from './model';
import type { Statements } from './statements';

/** A process changed state (or was closed again): what `/pubsub` pushes. */
export interface ProcessEvent {
  processid: string;
  colonyname: string;
  executortype: string;
  state: number;
  /** Pretty-printed process JSON, as the websocket frame payload. */
  json: string;
}

export type ProcessEventListener = (event: ProcessEvent) => void;
export type EventInterest = (processid: string, colonyname: string, executortype: string, state: number) => boolean;

/** Process JSON (§3.9) of a stored row with its stored attributes. */
export function storedProcessJson(statements: Statements, row: ProcessRow, options?: ProcessJsonOptions): JsonObject {
  return processJson(row, statements.attributes.ofTarget(row.processid), options);
}

/** The event of a stored process as it is now. */
export function processEventOf(statements: Statements, row: ProcessRow): ProcessEvent {
  return {
    processid: row.processid,
    colonyname: row.colonyname,
    executortype: row.executortype,
    state: Number(row.state),
    json: goJson(storedProcessJson(statements, row), true),
  };
}

export class ProcessEvents {
  readonly #statements: Statements;
  readonly #logger: Logger;
  readonly #listeners: ProcessEventListener[] = [];
  readonly #stateHooks: Array<(processId: string, state: number | undefined) => void> = [];
  #interested: EventInterest = () => true;
  #mayBeInterested: (processid: string) => boolean = () => true;

  constructor(statements: Statements, logger: Logger) {
    this.#statements = statements;
    this.#logger = logger;
  }

  listen(listener: ProcessEventListener): void {
    this.#listeners.push(listener);
  }

  /** Told about every state change (and removal: state undefined), before any subscriber filter. */
  onStateChange(hook: (processId: string, state: number | undefined) => void): void {
    this.#stateHooks.push(hook);
  }

  /** Lets the subscriber side say whether an event would reach anyone (saves building it). */
  setFilter(interested: EventInterest, mayBeInterested: (processid: string) => boolean): void {
    this.#interested = interested;
    this.#mayBeInterested = mayBeInterested;
  }

  /** Tells subscribers; called after a commit, so it never throws into the request that committed. */
  emit(processId: string): void {
    if (this.#stateHooks.length > 0) this.#runStateHooks(processId);
    if (this.#listeners.length === 0 || !this.#mayBeInterested(processId)) return;
    let event: ProcessEvent;
    try {
      const row = this.#statements.processes.get(processId);
      if (!row || !this.#interested(row.processid, row.colonyname, row.executortype, Number(row.state))) return;
      event = processEventOf(this.#statements, row);
    } catch (error) {
      this.#logger.error('process event failed', { processid: processId, error: String(error) });
      return;
    }
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#logger.error('process event listener failed', { error: String(error) });
      }
    }
  }

  #runStateHooks(processId: string): void {
    try {
      const row = this.#statements.processes.get(processId);
      const state = row === undefined ? undefined : Number(row.state);
      for (const hook of this.#stateHooks) hook(processId, state);
    } catch (error) {
      this.#logger.error('process state hook failed', { processid: processId, error: String(error) });
    }
  }
}
