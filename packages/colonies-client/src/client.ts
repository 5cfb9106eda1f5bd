// The typed Colonies client: one method per message Pollinator needs. The
// class is the public face; each group of calls lives in its own module
// (colony-, executor-, process-, log-, file-calls, pubsub, follow-logs) and
// works through the narrow `RpcCore` of this view's identity.
import { idOf } from '@pollinator/crypto/signing';
import { checkKey } from './client-options';
import { colonyCallOptions, type ColonyCallOptions } from './colony-call-options';
import * as channelCalls from './channel-calls';
import { subscribeChannel, type ChannelSubscription, type SubscribeChannelOptions } from './channel-subscription';
import * as colonyCalls from './colony-calls';
import { ColoniesArgumentError } from './errors';
import * as executorCalls from './executor-calls';
import * as fileCalls from './file-calls';
import type { FileLabelsQuery, FileQuery, FileRevisionsQuery, SnapshotInput, SnapshotQuery } from './file-calls';
import { followLogs, type FollowLogsOptions } from './follow-logs';
import * as logCalls from './log-calls';
import type { AttributeInput, ExecutorLogEntry, LogSearch, LogsQuery } from './log-calls';
import * as processCalls from './process-calls';
import type { AssignRequest, ProcessesQuery, ProcessHistoryQuery, RemoveAllProcessesQuery } from './process-calls';
import type { ProcessListing } from './process-decoding';
import * as pubsub from './pubsub';
import { createRpcCore, type ClientConfig, type RpcCore } from './rpc-core';
import type { CallOptions } from './transport';
import type {
  Attribute, CfsFile, CfsFileInput, Colony, ColonyStatistics, ColoniesFunction, Executor, ExecutorInput, FileData, FunctionInput, FunctionSpecInput,
  JsonValue, Label, Log, Process, ProcessState, ServerInfo, Snapshot, User, VersionInfo,
} from './types';

/** Cheap view on one identity; `as()` gives another identity sharing the connections. */
export class ColoniesClient {
  readonly #config: ClientConfig;
  readonly #core: RpcCore;
  readonly #privateKey: string | undefined;
  #id: string | undefined;

  /** @internal use `createColoniesClient` */
  constructor(config: ClientConfig, privateKey: string | undefined) {
    this.#config = config;
    this.#core = createRpcCore(config, privateKey);
    this.#privateKey = privateKey;
  }

  /** Base URL of the server, e.g. `http://127.0.0.1:50080`. */
  get url(): string {
    return this.#config.transport.baseUrl;
  }

  /** WebSocket URL of `/pubsub`. */
  get pubsubUrl(): string {
    return this.#config.pubsubUrl;
  }

  /** The default colony, if one was configured. */
  get colonyName(): string | undefined {
    return this.#config.colonyName;
  }

  /** The id of this view's identity (derived from its key), or undefined without a key. */
  get id(): string | undefined {
    if (this.#id === undefined && this.#privateKey !== undefined) this.#id = idOf(this.#privateKey);
    return this.#id;
  }

  /** The same client acting as another identity (colony owner, server owner, an executor…), sharing connections. */
  as(privateKey: string): ColoniesClient {
    return new ColoniesClient(this.#config, checkKey(privateKey, 'privateKey'));
  }

  /** Acting as the colony owner (`colonyPrivateKey` / COLONIES_COLONY_PRVKEY). */
  asColonyOwner(): ColoniesClient {
    if (!this.#config.colonyPrivateKey) throw new ColoniesArgumentError('no colony owner key configured (colonyPrivateKey / COLONIES_COLONY_PRVKEY)');
    return new ColoniesClient(this.#config, this.#config.colonyPrivateKey);
  }

  /** Acting as the server owner (`serverPrivateKey` / COLONIES_SERVER_PRVKEY). */
  asServerOwner(): ColoniesClient {
    if (!this.#config.serverPrivateKey) throw new ColoniesArgumentError('no server owner key configured (serverPrivateKey / COLONIES_SERVER_PRVKEY)');
    return new ColoniesClient(this.#config, this.#config.serverPrivateKey);
  }

  /** Keys never show up in logs. */
  toJSON(): Record<string, unknown> {
    return { url: this.url, colonyName: this.colonyName, id: this.id };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `ColoniesClient { url: ${this.url}, colonyName: ${this.colonyName ?? '-'}, id: ${this.id ?? '-'} }`;
  }

  /**
   * Sends any message and returns the decoded reply payload (lossless JSON).
   * Escape hatch for messages without a typed method. `read: true` allows retries.
   */
  async rpc(msgtype: string, fields: Record<string, unknown>, options: CallOptions & { read?: boolean } = {}): Promise<JsonValue> {
    return this.#core.rpc(msgtype, fields, options.read ?? false, options);
  }

  // ---------------------------------------------------------------- server

  /** `versionmsg` (unsigned). */
  async version(options?: CallOptions): Promise<VersionInfo> {
    return colonyCalls.version(this.#core, options);
  }

  /** `getserverinfomsg` (unsigned). The values come from the server's env and may be wrong. */
  async getServerInfo(options?: CallOptions): Promise<ServerInfo> {
    return colonyCalls.getServerInfo(this.#core, options);
  }

  /** `GET /health`: resolves when the server answers 200, throws a typed error otherwise. */
  async health(options?: CallOptions): Promise<void> {
    return this.#config.transport.health(options);
  }

  /** Like `health()` but resolves to false instead of throwing. */
  async isHealthy(options?: CallOptions): Promise<boolean> {
    try {
      await this.health({ ...options, timeoutMs: options?.timeoutMs ?? 5000 });
      return true;
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw error;
      return false;
    }
  }

  // ---------------------------------------------------------------- colonies (server owner)

  /** `addcolonymsg` (server owner). `colonyid` is the id of the colony's private key. */
  async addColony(colony: colonyCalls.ColonyInput, options?: CallOptions): Promise<Colony> {
    return colonyCalls.addColony(this.#core, colony, options);
  }

  /** `removecolonymsg` (server owner). */
  async removeColony(colonyName: string, options?: CallOptions): Promise<void> {
    return colonyCalls.removeColony(this.#core, colonyName, options);
  }

  /** `getcoloniesmsg` (server owner). */
  async getColonies(options?: CallOptions): Promise<Colony[]> {
    return colonyCalls.getColonies(this.#core, options);
  }

  /** `getcolonymsg` (members; the colony owner is not a member). */
  getColony(options?: ColonyCallOptions): Promise<Colony>;
  /** @deprecated Pass the colony in the options: `getColony({ colonyName, signal })`. */
  getColony(colonyName: string | undefined, options?: CallOptions): Promise<Colony>;
  async getColony(colonyNameOrOptions?: string | ColonyCallOptions, options?: CallOptions): Promise<Colony> {
    return colonyCalls.getColony(this.#core, colonyCallOptions(colonyNameOrOptions, options));
  }

  /** `getcolonystatsmsg`. */
  getColonyStatistics(options?: ColonyCallOptions): Promise<ColonyStatistics>;
  /** @deprecated Pass the colony in the options: `getColonyStatistics({ colonyName })`. */
  getColonyStatistics(colonyName: string | undefined, options?: CallOptions): Promise<ColonyStatistics>;
  async getColonyStatistics(colonyNameOrOptions?: string | ColonyCallOptions, options?: CallOptions): Promise<ColonyStatistics> {
    return colonyCalls.getColonyStatistics(this.#core, colonyCallOptions(colonyNameOrOptions, options));
  }

  // ---------------------------------------------------------------- users (colony owner)

  /** `addusermsg` (colony owner). */
  async addUser(user: colonyCalls.UserInput, options?: CallOptions): Promise<User> {
    return colonyCalls.addUser(this.#core, user, options);
  }

  /** `removeusermsg` (colony owner). */
  async removeUser(name: string, options?: ColonyCallOptions): Promise<void> {
    return colonyCalls.removeUser(this.#core, name, options);
  }

  /** `getusersmsg`. */
  getUsers(options?: ColonyCallOptions): Promise<User[]>;
  /** @deprecated Pass the colony in the options: `getUsers({ colonyName })`. */
  getUsers(colonyName: string | undefined, options?: CallOptions): Promise<User[]>;
  async getUsers(colonyNameOrOptions?: string | ColonyCallOptions, options?: CallOptions): Promise<User[]> {
    return colonyCalls.getUsers(this.#core, colonyCallOptions(colonyNameOrOptions, options));
  }

  // ---------------------------------------------------------------- executors

  /** `addexecutormsg` (colony owner). The server sets state PENDING; approve it next. */
  async addExecutor(executor: ExecutorInput, options?: CallOptions): Promise<Executor> {
    return executorCalls.addExecutor(this.#core, executor, options);
  }

  /** `approveexecutormsg` (colony owner). */
  async approveExecutor(executorName: string, options?: ColonyCallOptions): Promise<void> {
    return executorCalls.changeExecutor(this.#core, 'approveexecutormsg', executorName, options);
  }

  /** `rejectexecutormsg` (colony owner). */
  async rejectExecutor(executorName: string, options?: ColonyCallOptions): Promise<void> {
    return executorCalls.changeExecutor(this.#core, 'rejectexecutormsg', executorName, options);
  }

  /** `removeexecutormsg` (colony owner). The record stays as UNREGISTERED; its functions are deleted. */
  async removeExecutor(executorName: string, options?: ColonyCallOptions): Promise<void> {
    return executorCalls.changeExecutor(this.#core, 'removeexecutormsg', executorName, options);
  }

  /** `getexecutormsg`. */
  async getExecutor(executorName: string, options?: ColonyCallOptions): Promise<Executor> {
    return executorCalls.getExecutor(this.#core, executorName, options);
  }

  /** `getexecutorbyidmsg`. */
  async getExecutorById(executorId: string, options?: ColonyCallOptions): Promise<Executor> {
    return executorCalls.getExecutorById(this.#core, executorId, options);
  }

  /** `getexecutorsmsg` (order not stable). */
  getExecutors(options?: ColonyCallOptions): Promise<Executor[]>;
  /** @deprecated Pass the colony in the options: `getExecutors({ colonyName })`. */
  getExecutors(colonyName: string | undefined, options?: CallOptions): Promise<Executor[]>;
  async getExecutors(colonyNameOrOptions?: string | ColonyCallOptions, options?: CallOptions): Promise<Executor[]> {
    return executorCalls.getExecutors(this.#core, colonyCallOptions(colonyNameOrOptions, options));
  }

  /** `updateexecutormsg` (the executor itself): replaces its capabilities. */
  async updateExecutor(update: executorCalls.ExecutorUpdate, options?: CallOptions): Promise<void> {
    return executorCalls.updateExecutor(this.#core, update, options);
  }

  // ---------------------------------------------------------------- functions

  /** `addfunctionmsg` (an approved executor, for its own name). */
  async addFunction(fn: FunctionInput, options?: CallOptions): Promise<ColoniesFunction> {
    return executorCalls.addFunction(this.#core, fn, options);
  }

  /** `getfunctionsmsg`: of one executor, or of the whole colony without `executorName`. */
  async getFunctions(query: executorCalls.FunctionsQuery = {}, options?: CallOptions): Promise<ColoniesFunction[]> {
    return executorCalls.getFunctions(this.#core, query, options);
  }

  // ---------------------------------------------------------------- processes

  /**
   * `submitfuncspecmsg`: submits a FunctionSpec. Missing fields get safe
   * defaults (maxwaittime/maxexectime -1, nodes 1, the client's colony);
   * the traps the server accepts silently are refused here (§3.8, §7).
   */
  async submit(spec: FunctionSpecInput, options?: CallOptions): Promise<Process> {
    return processCalls.submit(this.#core, spec, options);
  }

  /** `getprocessmsg` (404 `ColoniesError` when unknown; `UnreadableProcessError` when it cannot be decoded). */
  async getProcess(processId: string, options?: CallOptions): Promise<Process> {
    return processCalls.getProcess(this.#core, processId, options);
  }

  /**
   * `getprocessesmsg`: processes in one state (default WAITING), at most
   * `count` (1–100, default 100). Filters are exclusive on the server:
   * executorType > initiator > label. Throws the first
   * `UnreadableProcessError` when one of them cannot be decoded: use
   * `getProcessListing` to get the others anyway.
   */
  async getProcesses(query: ProcessesQuery = {}, options?: CallOptions): Promise<Process[]> {
    return processCalls.getProcesses(this.#core, query, options);
  }

  /**
   * `getprocessesmsg`, each process decoded on its own: the readable ones,
   * plus an `UnreadableProcessError` (with the process id when the raw
   * reply shows it) for each one that cannot be decoded.
   */
  async getProcessListing(query: ProcessesQuery = {}, options?: CallOptions): Promise<ProcessListing> {
    return processCalls.getProcessListing(this.#core, query, options);
  }

  /**
   * `assignprocessmsg` (an approved executor): long-polls up to `timeout`
   * seconds (default 60; negative = one immediate attempt) for a process.
   * Resolves to `null` when none came (the server's 404). The HTTP timeout is
   * the long-poll plus `assignMarginMs`. Never retried (it is a write).
   * Each call is also the executor's heartbeat (§3.11).
   */
  async assign(request: AssignRequest = {}, options?: CallOptions): Promise<Process | null> {
    return processCalls.assign(this.#core, request, options);
  }

  /** `closesuccessfulmsg` (the assigned executor). `out` replaces the output when non-empty. */
  async closeSuccessful(processId: string, out?: JsonValue[], options?: CallOptions): Promise<void> {
    return processCalls.closeSuccessful(this.#core, processId, out, options);
  }

  /** `closefailedmsg` (the assigned executor). */
  async closeFailed(processId: string, errors: string[] | string, options?: CallOptions): Promise<void> {
    return processCalls.closeFailed(this.#core, processId, errors, options);
  }

  /** `setoutputmsg` (the assigned executor, while RUNNING). */
  async setOutput(processId: string, out: JsonValue[], options?: CallOptions): Promise<void> {
    return processCalls.setOutput(this.#core, processId, out, options);
  }

  /** `cancelprocessmsg` (members; WAITING or RUNNING processes → CANCELLED). v1.9.12+. */
  async cancelProcess(processId: string, options?: CallOptions): Promise<void> {
    return processCalls.cancelProcess(this.#core, processId, options);
  }

  /** `removeprocessmsg` (not RUNNING). */
  async removeProcess(processId: string, options?: CallOptions & { all?: boolean }): Promise<void> {
    return processCalls.removeProcess(this.#core, processId, options);
  }

  /** `removeallprocessesmsg` (colony owner): of one state, or all (-1, default) except RUNNING. */
  async removeAllProcesses(query: RemoveAllProcessesQuery = {}, options?: CallOptions): Promise<void> {
    return processCalls.removeAllProcesses(this.#core, query, options);
  }

  /**
   * `getprocesshistmsg`: processes of `state` in the last `seconds`, optionally
   * of one executor. (The v1.9.12 server writes no reply when authorization
   * fails: that surfaces as a timeout.)
   */
  async getProcessHistory(query: ProcessHistoryQuery, options?: CallOptions): Promise<Process[]> {
    return processCalls.getProcessHistory(this.#core, query, options);
  }

  /** `pauseassignmentsmsg` (colony owner): assign calls wait (408/503) until resumed. */
  pauseAssignments(options?: ColonyCallOptions): Promise<void>;
  /** @deprecated Pass the colony in the options: `pauseAssignments({ colonyName })`. */
  pauseAssignments(colonyName: string | undefined, options?: CallOptions): Promise<void>;
  async pauseAssignments(colonyNameOrOptions?: string | ColonyCallOptions, options?: CallOptions): Promise<void> {
    return processCalls.setAssignmentsPaused(this.#core, true, colonyCallOptions(colonyNameOrOptions, options));
  }

  /** `resumeassignmentsmsg` (colony owner). */
  resumeAssignments(options?: ColonyCallOptions): Promise<void>;
  /** @deprecated Pass the colony in the options: `resumeAssignments({ colonyName })`. */
  resumeAssignments(colonyName: string | undefined, options?: CallOptions): Promise<void>;
  async resumeAssignments(colonyNameOrOptions?: string | ColonyCallOptions, options?: CallOptions): Promise<void> {
    return processCalls.setAssignmentsPaused(this.#core, false, colonyCallOptions(colonyNameOrOptions, options));
  }

  /** `getpausestatusmsg` (members): whether assignments are paused (reply `pausestatusreplymsg`). */
  getPauseStatus(options?: ColonyCallOptions): Promise<boolean>;
  /** @deprecated Pass the colony in the options: `getPauseStatus({ colonyName })`. */
  getPauseStatus(colonyName: string | undefined, options?: CallOptions): Promise<boolean>;
  async getPauseStatus(colonyNameOrOptions?: string | ColonyCallOptions, options?: CallOptions): Promise<boolean> {
    return processCalls.getPauseStatus(this.#core, colonyCallOptions(colonyNameOrOptions, options));
  }

  // Channels (process channels, v1.9+)
  /** `channelappendmsg` (the submitter or the assigned executor; never retried). `channelRefusal(error)` tells refusals apart. */
  async appendChannel(message: channelCalls.ChannelAppend, options?: CallOptions): Promise<void> {
    return channelCalls.appendChannel(this.#core, message, options);
  }

  /** `channelreadmsg`: entries from the 0-based index `fromIndex` of the channel's log, at most `limit` (0: all). */
  async readChannel(query: channelCalls.ChannelRead, options?: CallOptions): Promise<channelCalls.ChannelEntry[]> {
    return channelCalls.readChannel(this.#core, query, options);
  }

  /** `subscribechannelmsg` on `/pubsub`: existing entries from `fromIndex`, then live appends, until the timeout's `[]`. */
  subscribeChannel(options: SubscribeChannelOptions): ChannelSubscription {
    return subscribeChannel(this.#core, options);
  }

  // ---------------------------------------------------------------- logs

  /** `addlogmsg` (the assigned executor, while RUNNING). The message is stored verbatim. */
  async addLog(processId: string, message: string, options?: CallOptions): Promise<void> {
    return logCalls.addLog(this.#core, processId, message, options);
  }

  /** `addexecutorlogmsg` (an executor, under its own name). */
  async addExecutorLog(entry: ExecutorLogEntry, options?: CallOptions): Promise<void> {
    return logCalls.addExecutorLog(this.#core, entry, options);
  }

  /**
   * `getlogsmsg`: logs of a process (or of an executor with `executorName`),
   * ascending. `since` is an exact int64 cursor (a `timestamp` you received):
   * only entries with a larger timestamp come back. `latest` gives the newest
   * `count`. `count` ≤ 500 (default 100).
   */
  async getLogs(query: LogsQuery, options?: CallOptions): Promise<Log[]> {
    return logCalls.getLogs(this.#core, query, options);
  }

  /** `searchlogsmsg`: logs containing `text` from the last `days` (≤ 30, default 1), at most `count` (≤ 100). */
  async searchLogs(query: LogSearch, options?: CallOptions): Promise<Log[]> {
    return logCalls.searchLogs(this.#core, query, options);
  }

  /**
   * Every log entry of a process, in order, exactly once, as they come; ends
   * when the process is terminal and its logs are drained.
   */
  followLogs(processId: string, options: FollowLogsOptions = {}): AsyncIterableIterator<Log> {
    return followLogs(this.#core, processId, options);
  }

  // ---------------------------------------------------------------- attributes

  /** `addattributemsg` (the assigned executor, while RUNNING). Default type OUT. */
  async addAttribute(attribute: AttributeInput, options?: CallOptions): Promise<Attribute> {
    return logCalls.addAttribute(this.#core, attribute, options);
  }

  /** `getattributemsg` (unknown id → 400). */
  async getAttribute(attributeId: string, options?: CallOptions): Promise<Attribute> {
    return logCalls.getAttribute(this.#core, attributeId, options);
  }

  // ---------------------------------------------------------------- CFS files

  /** `addfilemsg`: registers a file revision (the blob goes to S3 separately). Leave S3 credentials empty. */
  async addFile(file: CfsFileInput, options?: CallOptions): Promise<CfsFile> {
    return fileCalls.addFile(this.#core, file, options);
  }

  /** `getfilemsg` by id, or the newest revision of `label`+`name`. 404/400 `ColoniesError` when unknown. */
  async getFile(query: FileQuery, options?: CallOptions): Promise<CfsFile> {
    return fileCalls.getFile(this.#core, query, options);
  }

  /** `getfilemsg` with `latest: false`: every revision of `label`+`name`, newest first. */
  async getFileRevisions(query: FileRevisionsQuery, options?: CallOptions): Promise<CfsFile[]> {
    return fileCalls.getFileRevisions(this.#core, query, options);
  }

  /** `getfilesmsg`: the newest revision of each file directly in `label` (not sub-labels). */
  async getFiles(label: string, options?: ColonyCallOptions): Promise<FileData[]> {
    return fileCalls.getFiles(this.#core, label, options);
  }

  /**
   * `getfilelabelsmsg`. `exact: true` → `name` and its sub-labels, but nothing
   * at all when `name` has no direct files (server quirk, §4.2); `exact: false`
   * → plain prefix match. `name: ""` → every label.
   */
  async getFileLabels(query: FileLabelsQuery = {}, options?: CallOptions): Promise<Label[]> {
    return fileCalls.getFileLabels(this.#core, query, options);
  }

  /** `removefilemsg` by id, or every revision of `label`+`name`. S3 objects are not deleted. */
  async removeFile(query: FileQuery, options?: CallOptions): Promise<void> {
    return fileCalls.removeFile(this.#core, query, options);
  }

  // ---------------------------------------------------------------- snapshots

  /** `createsnapshotmsg`: freezes the newest revisions under `label` (empty when `label` itself has no files). */
  async createSnapshot(query: SnapshotInput, options?: CallOptions): Promise<Snapshot> {
    return fileCalls.createSnapshot(this.#core, query, options);
  }

  /** `getsnapshotmsg` by id or name (unknown → 500 `ColoniesError`). */
  async getSnapshot(query: SnapshotQuery, options?: CallOptions): Promise<Snapshot> {
    return fileCalls.getSnapshot(this.#core, query, options);
  }

  /** `getsnapshotsmsg`. */
  getSnapshots(options?: ColonyCallOptions): Promise<Snapshot[]>;
  /** @deprecated Pass the colony in the options: `getSnapshots({ colonyName, signal })`. */
  getSnapshots(colonyName: string | undefined, options?: CallOptions): Promise<Snapshot[]>;
  async getSnapshots(colonyNameOrOptions?: string | ColonyCallOptions, options?: CallOptions): Promise<Snapshot[]> {
    return fileCalls.getSnapshots(this.#core, colonyCallOptions(colonyNameOrOptions, options));
  }

  /** `removesnapshotmsg` by id or name (files untouched; unknown → no error). */
  async removeSnapshot(query: SnapshotQuery, options?: CallOptions): Promise<void> {
    return fileCalls.removeSnapshot(this.#core, query, options);
  }

  /** `removeallsnapshotmsg`. */
  removeAllSnapshots(options?: ColonyCallOptions): Promise<void>;
  /** @deprecated Pass the colony in the options: `removeAllSnapshots({ colonyName })`. */
  removeAllSnapshots(colonyName: string | undefined, options?: CallOptions): Promise<void>;
  async removeAllSnapshots(colonyNameOrOptions?: string | ColonyCallOptions, options?: CallOptions): Promise<void> {
    return fileCalls.removeAllSnapshots(this.#core, colonyCallOptions(colonyNameOrOptions, options));
  }

  // ---------------------------------------------------------------- pubsub

  /** One `/pubsub` socket with one `subscribeprocessmsg` frame per state; ends when the server drops it. */
  subscribeProcess(processId: string, options: pubsub.SubscribeProcessOptions): AsyncIterableIterator<Process> {
    return pubsub.subscribeProcess(this.#core, processId, options);
  }

  /** One `/pubsub` socket with `subscribeprocessesmsg` (executors only). */
  subscribeProcesses(options: pubsub.SubscribeProcessesOptions): AsyncIterableIterator<Process> {
    return pubsub.subscribeProcesses(this.#core, options);
  }

  /** State changes of a process, resubscribing as needed, polling when WebSockets are blocked. */
  watchProcess(processId: string, options: pubsub.WatchProcessOptions = {}): AsyncIterableIterator<Process> {
    return pubsub.watchProcess(this.#core, processId, options);
  }

  /** Resolves with the process once it is in one of `states` (default: terminal) or terminal. */
  waitForProcess(processId: string, states?: readonly ProcessState[], options?: pubsub.WaitForProcessOptions): Promise<Process> {
    return pubsub.waitForProcess(this.#core, processId, states, options);
  }
}
