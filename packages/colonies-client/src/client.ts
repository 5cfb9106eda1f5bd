// The typed Colonies client: one method per message Pollinator needs.
import { idOf } from '@pollinator/crypto';
import {
  expectList,
  expectObject,
  toCfsFile,
  toColony,
  toExecutor,
  toFileData,
  toFunction,
  toLabel,
  toLog,
  toSnapshot,
  asIs,
} from './convert';
import { encodeRequest, UNSIGNED_MESSAGES } from './envelope';
import { ColoniesArgumentError, ColoniesConfigError, ColoniesError } from './errors';
import { followLogs, type FollowLogsOptions } from './follow-logs';
import {
  subscribeProcess,
  subscribeProcesses,
  waitForProcess,
  watchProcess,
  type SubscribeProcessesOptions,
  type SubscribeProcessOptions,
  type WaitForProcessOptions,
  type WatchProcessOptions,
} from './pubsub';
import { decodeProcess, decodeProcessListing, type ProcessListing } from './process-decoding';
import { HttpTransport, type CallOptions, type FetchLike, type RetryEvent, type RetryOptions } from './transport';
import {
  AttributeType,
  type Attribute,
  type CfsFile,
  type CfsFileInput,
  type Colony,
  type ColonyStatistics,
  type ColoniesFunction,
  type Capabilities,
  type Executor,
  type ExecutorInput,
  type FileData,
  type FunctionInput,
  type FunctionSpec,
  type FunctionSpecInput,
  type JsonValue,
  type Label,
  type Log,
  type Process,
  type ProcessState,
  type ServerInfo,
  type Snapshot,
  type User,
  type VersionInfo,
} from './types';

export interface ColoniesClientOptions {
  /** `http(s)://host:port`; alternatively `host`, `port` and `tls`. */
  url?: string;
  host?: string;
  /** Default 50080. */
  port?: number;
  /** https/wss when true (default false with `host`). */
  tls?: boolean;
  /** Accept any TLS certificate (self-signed proxies). */
  skipTlsVerify?: boolean;
  /** The caller's key (user or executor), 64 hex digits. Only `version`, `getServerInfo` and `health` work without. */
  privateKey?: string;
  /** Default colony for every call that needs one. */
  colonyName?: string;
  /** Colony owner key, used by `asColonyOwner()`. */
  colonyPrivateKey?: string;
  /** Server owner key, used by `asServerOwner()`. */
  serverPrivateKey?: string;
  /** Injectable fetch (default: the global one, keep-alive). */
  fetch?: FetchLike;
  /** Timeout of one HTTP attempt in ms (default 30 000). */
  timeoutMs?: number;
  /** Retries of reads (default 3 retries, 100 ms → 2 s); `false` disables them. */
  retry?: RetryOptions | false;
  /** Told before each retry (for "retrying…" messages and metrics). */
  onRetry?: (event: RetryEvent) => void;
  /** Extra HTTP time given to an assign long-poll beyond its `timeout` (default 15 000 ms). */
  assignMarginMs?: number;
  /** WebSocket URL of `/pubsub` (default: derived from the URL). */
  pubsubUrl?: string;
  /**
   * Largest reply accepted, in bytes of the HTTP body or WebSocket frame
   * (default 64 MiB, `DEFAULT_MAX_REPLY_BYTES`). A larger one is not read to
   * the end: the call fails with `ColoniesReplyTooLargeError`.
   */
  maxReplyBytes?: number;
}

interface ClientCore {
  transport: HttpTransport;
  pubsubUrl: string;
  colonyName: string | undefined;
  colonyPrivateKey: string | undefined;
  serverPrivateKey: string | undefined;
  assignMarginMs: number;
  skipTlsVerify: boolean;
}

const KEY_RE = /^[0-9a-fA-F]{64}$/;
const CURVE_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

function checkKey(key: string, what: string): string {
  if (typeof key !== 'string' || !KEY_RE.test(key)) {
    throw new ColoniesConfigError(what, `${what} must be 64 hexadecimal digits (a secp256k1 private key)`);
  }
  const scalar = BigInt(`0x${key}`);
  if (scalar === 0n || scalar >= CURVE_ORDER) {
    throw new ColoniesConfigError(what, `${what} is not a valid secp256k1 private key (0 or ≥ the curve order)`);
  }
  return key.toLowerCase();
}

function baseUrlOf(options: ColoniesClientOptions): string {
  if (options.url) {
    let u: URL;
    try {
      u = new URL(options.url);
    } catch {
      throw new ColoniesConfigError('url', `url must look like http://host:port, got ${JSON.stringify(options.url)}`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      throw new ColoniesConfigError('url', `url must start with http:// or https://, got ${JSON.stringify(options.url)}`);
    }
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '').replace(/\/api$/, '')}`;
  }
  if (!options.host) throw new ColoniesConfigError('url', 'createColoniesClient needs `url` or `host` (and `port`, `tls`)');
  const host = options.host.includes(':') && !options.host.startsWith('[') ? `[${options.host}]` : options.host;
  return `${options.tls ? 'https' : 'http'}://${host}:${options.port ?? 50080}`;
}

/** Cheap view on one identity; `as()` gives another identity sharing the connections. */
export class ColoniesClient {
  readonly #core: ClientCore;
  readonly #privateKey: string | undefined;
  #id: string | undefined;

  /** @internal use `createColoniesClient` */
  constructor(core: ClientCore, privateKey: string | undefined) {
    this.#core = core;
    this.#privateKey = privateKey;
  }

  /** Base URL of the server, e.g. `http://127.0.0.1:50080`. */
  get url(): string {
    return this.#core.transport.baseUrl;
  }

  /** WebSocket URL of `/pubsub`. */
  get pubsubUrl(): string {
    return this.#core.pubsubUrl;
  }

  /** The default colony, if one was configured. */
  get colonyName(): string | undefined {
    return this.#core.colonyName;
  }

  /** The id of this view's identity (derived from its key), or undefined without a key. */
  get id(): string | undefined {
    if (this.#id === undefined && this.#privateKey !== undefined) this.#id = idOf(this.#privateKey);
    return this.#id;
  }

  /** The same client acting as another identity (colony owner, server owner, an executor…), sharing connections. */
  as(privateKey: string): ColoniesClient {
    return new ColoniesClient(this.#core, checkKey(privateKey, 'privateKey'));
  }

  /** Acting as the colony owner (`colonyPrivateKey` / COLONIES_COLONY_PRVKEY). */
  asColonyOwner(): ColoniesClient {
    if (!this.#core.colonyPrivateKey) throw new ColoniesArgumentError('no colony owner key configured (colonyPrivateKey / COLONIES_COLONY_PRVKEY)');
    return new ColoniesClient(this.#core, this.#core.colonyPrivateKey);
  }

  /** Acting as the server owner (`serverPrivateKey` / COLONIES_SERVER_PRVKEY). */
  asServerOwner(): ColoniesClient {
    if (!this.#core.serverPrivateKey) throw new ColoniesArgumentError('no server owner key configured (serverPrivateKey / COLONIES_SERVER_PRVKEY)');
    return new ColoniesClient(this.#core, this.#core.serverPrivateKey);
  }

  /** Keys never show up in logs. */
  toJSON(): Record<string, unknown> {
    return { url: this.url, colonyName: this.colonyName, id: this.id };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `ColoniesClient { url: ${this.url}, colonyName: ${this.colonyName ?? '-'}, id: ${this.id ?? '-'} }`;
  }

  // ---------------------------------------------------------------- plumbing

  /** @internal the colony to use: the argument, else the configured default. */
  colony(name: string | undefined): string {
    const colony = name ?? this.#core.colonyName;
    if (!colony) throw new ColoniesArgumentError('no colony name: pass `colonyName` or configure one (COLONIES_COLONY_NAME)');
    return colony;
  }

  /** @internal */
  get core(): ClientCore {
    return this.#core;
  }

  /** @internal signs a request as this identity (used for WebSocket subscriptions). */
  signedEnvelope(msgtype: string, fields: Record<string, unknown>) {
    return encodeRequest(msgtype, fields, this.requireKey(msgtype));
  }

  private requireKey(msgtype: string): string | undefined {
    if (UNSIGNED_MESSAGES.has(msgtype)) return undefined;
    if (this.#privateKey === undefined) {
      throw new ColoniesArgumentError(`${msgtype} must be signed: create the client with a privateKey (COLONIES_PRVKEY) or use .as(key)`);
    }
    return this.#privateKey;
  }

  /**
   * Sends any message and returns the decoded reply payload (lossless JSON).
   * Escape hatch for messages without a typed method. `read: true` allows retries.
   */
  async rpc(msgtype: string, fields: Record<string, unknown>, options: CallOptions & { read?: boolean } = {}): Promise<JsonValue> {
    const envelope = encodeRequest(msgtype, fields, this.requireKey(msgtype));
    return this.#core.transport.rpc(envelope, options.read ?? false, options);
  }

  private async read(msgtype: string, fields: Record<string, unknown>, options?: CallOptions): Promise<JsonValue> {
    return this.rpc(msgtype, fields, { ...options, read: true });
  }

  private async write(msgtype: string, fields: Record<string, unknown>, options?: CallOptions): Promise<JsonValue> {
    return this.rpc(msgtype, fields, { ...options, read: false });
  }

  /** Like `rpc`, but the reply payload's JSON text, unparsed (for replies decoded in parts). */
  private async rpcText(msgtype: string, fields: Record<string, unknown>, read: boolean, options?: CallOptions): Promise<{ status: number; text: string }> {
    const envelope = encodeRequest(msgtype, fields, this.requireKey(msgtype));
    return this.#core.transport.rpcText(envelope, read, options);
  }

  private async readProcess(msgtype: string, fields: Record<string, unknown>, options?: CallOptions): Promise<Process> {
    return decodeProcess(msgtype, (await this.rpcText(msgtype, fields, true, options)).text);
  }

  private async readProcessListing(msgtype: string, fields: Record<string, unknown>, options?: CallOptions): Promise<ProcessListing> {
    const { status, text } = await this.rpcText(msgtype, fields, true, options);
    return decodeProcessListing(msgtype, status, text);
  }

  // ---------------------------------------------------------------- server

  /** `versionmsg` (unsigned). */
  async version(options?: CallOptions): Promise<VersionInfo> {
    const r = expectObject('versionmsg', await this.read('versionmsg', {}, options));
    return { buildversion: typeof r.buildversion === 'string' ? r.buildversion : '', buildtime: typeof r.buildtime === 'string' ? r.buildtime : '' };
  }

  /** `getserverinfomsg` (unsigned). The values come from the server's env and may be wrong. */
  async getServerInfo(options?: CallOptions): Promise<ServerInfo> {
    const r = expectObject('getserverinfomsg', await this.read('getserverinfomsg', {}, options));
    return { ...(r as unknown as ServerInfo), backends: Array.isArray(r.backends) ? (r.backends as ServerInfo['backends']) : [] };
  }

  /** `GET /health`: resolves when the server answers 200, throws a typed error otherwise. */
  async health(options?: CallOptions): Promise<void> {
    return this.#core.transport.health(options);
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
  async addColony(colony: { colonyid: string; name: string }, options?: CallOptions): Promise<Colony> {
    checkName(colony.name, 'colony name');
    const r = await this.write('addcolonymsg', { colony: { colonyid: colony.colonyid, name: colony.name } }, options);
    return toColony(expectObject('addcolonymsg', r));
  }

  /** `removecolonymsg` (server owner). */
  async removeColony(colonyName: string, options?: CallOptions): Promise<void> {
    await this.write('removecolonymsg', { colonyname: colonyName }, options);
  }

  /** `getcoloniesmsg` (server owner). */
  async getColonies(options?: CallOptions): Promise<Colony[]> {
    return expectList('getcoloniesmsg', await this.read('getcoloniesmsg', {}, options), toColony);
  }

  /** `getcolonymsg` (members; the colony owner is not a member). */
  async getColony(colonyName?: string, options?: CallOptions): Promise<Colony> {
    const r = await this.read('getcolonymsg', { colonyname: this.colony(colonyName) }, options);
    return toColony(expectObject('getcolonymsg', r));
  }

  /** `getcolonystatsmsg`. */
  async getColonyStatistics(colonyName?: string, options?: CallOptions): Promise<ColonyStatistics> {
    const r = await this.read('getcolonystatsmsg', { colonyname: this.colony(colonyName) }, options);
    return expectObject('getcolonystatsmsg', r) as unknown as ColonyStatistics;
  }

  // ---------------------------------------------------------------- users (colony owner)

  /** `addusermsg` (colony owner). */
  async addUser(
    user: { userid: string; name: string; email?: string; phone?: string; colonyname?: string },
    options?: CallOptions,
  ): Promise<User> {
    checkName(user.name, 'user name');
    const r = await this.write(
      'addusermsg',
      {
        user: {
          colonyname: this.colony(user.colonyname),
          userid: user.userid,
          name: user.name,
          email: user.email ?? '',
          phone: user.phone ?? '',
        },
      },
      options,
    );
    return expectObject('addusermsg', r) as unknown as User;
  }

  /** `removeusermsg` (colony owner). */
  async removeUser(name: string, options?: CallOptions & { colonyName?: string }): Promise<void> {
    await this.write('removeusermsg', { colonyname: this.colony(options?.colonyName), name }, options);
  }

  /** `getusersmsg`. */
  async getUsers(colonyName?: string, options?: CallOptions): Promise<User[]> {
    return expectList('getusersmsg', await this.read('getusersmsg', { colonyname: this.colony(colonyName) }, options), asIs<User>);
  }

  // ---------------------------------------------------------------- executors

  /** `addexecutormsg` (colony owner). The server sets state PENDING; approve it next. */
  async addExecutor(executor: ExecutorInput, options?: CallOptions): Promise<Executor> {
    checkName(executor.executorname, 'executor name');
    const caps = executor.capabilities ?? {};
    const body = {
      executorid: executor.executorid,
      executortype: executor.executortype,
      executorname: executor.executorname,
      colonyname: this.colony(executor.colonyname),
      state: 0,
      requirefuncreg: executor.requirefuncreg ?? false,
      commissiontime: '0001-01-01T00:00:00Z',
      lastheardfromtime: '0001-01-01T00:00:00Z',
      ...(executor.locationname ? { locationname: executor.locationname } : {}),
      capabilities: {
        hardware: (caps.hardware ?? []).map((h) => ({
          model: h.model ?? '',
          nodes: h.nodes ?? 0,
          cpu: h.cpu ?? '',
          cores: h.cores ?? 0,
          mem: h.mem ?? '',
          storage: h.storage ?? '',
          gpu: { name: h.gpu?.name ?? '', mem: h.gpu?.mem ?? '', count: h.gpu?.count ?? 0, nodecount: h.gpu?.nodecount ?? 0 },
          platform: h.platform ?? '',
          architecture: h.architecture ?? '',
          network: h.network ?? [],
        })),
        software: caps.software ?? [],
      },
    };
    return toExecutor(expectObject('addexecutormsg', await this.write('addexecutormsg', { executor: body }, options)));
  }

  /** `approveexecutormsg` (colony owner). */
  async approveExecutor(executorName: string, options?: CallOptions & { colonyName?: string }): Promise<void> {
    await this.write('approveexecutormsg', { colonyname: this.colony(options?.colonyName), executorname: executorName }, options);
  }

  /** `rejectexecutormsg` (colony owner). */
  async rejectExecutor(executorName: string, options?: CallOptions & { colonyName?: string }): Promise<void> {
    await this.write('rejectexecutormsg', { colonyname: this.colony(options?.colonyName), executorname: executorName }, options);
  }

  /** `removeexecutormsg` (colony owner). The record stays as UNREGISTERED; its functions are deleted. */
  async removeExecutor(executorName: string, options?: CallOptions & { colonyName?: string }): Promise<void> {
    await this.write('removeexecutormsg', { colonyname: this.colony(options?.colonyName), executorname: executorName }, options);
  }

  /** `getexecutormsg`. */
  async getExecutor(executorName: string, options?: CallOptions & { colonyName?: string }): Promise<Executor> {
    const r = await this.read('getexecutormsg', { colonyname: this.colony(options?.colonyName), executorname: executorName }, options);
    return toExecutor(expectObject('getexecutormsg', r));
  }

  /** `getexecutorbyidmsg`. */
  async getExecutorById(executorId: string, options?: CallOptions & { colonyName?: string }): Promise<Executor> {
    const r = await this.read('getexecutorbyidmsg', { colonyname: this.colony(options?.colonyName), executorid: executorId }, options);
    return toExecutor(expectObject('getexecutorbyidmsg', r));
  }

  /** `getexecutorsmsg` (order not stable). */
  async getExecutors(colonyName?: string, options?: CallOptions): Promise<Executor[]> {
    return expectList('getexecutorsmsg', await this.read('getexecutorsmsg', { colonyname: this.colony(colonyName) }, options), toExecutor);
  }

  /** `updateexecutormsg` (the executor itself): replaces its capabilities. */
  async updateExecutor(
    update: { executorName: string; capabilities: Capabilities; colonyName?: string },
    options?: CallOptions,
  ): Promise<void> {
    await this.write(
      'updateexecutormsg',
      { colonyname: this.colony(update.colonyName), executorname: update.executorName, capabilities: update.capabilities },
      options,
    );
  }

  // ---------------------------------------------------------------- functions

  /** `addfunctionmsg` (an approved executor, for its own name). */
  async addFunction(fn: FunctionInput, options?: CallOptions): Promise<ColoniesFunction> {
    const body: Record<string, unknown> = {
      functionid: '',
      executorname: fn.executorname ?? '',
      executortype: fn.executortype ?? '',
      colonyname: this.colony(fn.colonyname),
      funcname: fn.funcname,
    };
    if (fn.description !== undefined) body.description = fn.description;
    if (fn.args !== undefined) body.args = fn.args;
    return toFunction(expectObject('addfunctionmsg', await this.write('addfunctionmsg', { fun: body }, options)));
  }

  /** `getfunctionsmsg`: of one executor, or of the whole colony without `executorName`. */
  async getFunctions(query: { executorName?: string; colonyName?: string } = {}, options?: CallOptions): Promise<ColoniesFunction[]> {
    const r = await this.read('getfunctionsmsg', { executorname: query.executorName ?? '', colonyname: this.colony(query.colonyName) }, options);
    return expectList('getfunctionsmsg', r, toFunction);
  }

  // ---------------------------------------------------------------- processes

  /**
   * `submitfuncspecmsg`: submits a FunctionSpec. Missing fields get safe
   * defaults (maxwaittime/maxexectime -1, nodes 1, the client's colony);
   * the traps the server accepts silently are refused here (§3.8, §7).
   */
  async submit(spec: FunctionSpecInput, options?: CallOptions): Promise<Process> {
    const full = completeSpec(spec, this.#core.colonyName);
    // The process exists once this answers: an UnreadableProcessError here carries its id.
    return decodeProcess('submitfuncspecmsg', (await this.rpcText('submitfuncspecmsg', { spec: full }, false, options)).text);
  }

  /** `getprocessmsg` (404 `ColoniesError` when unknown; `UnreadableProcessError` when it cannot be decoded). */
  async getProcess(processId: string, options?: CallOptions): Promise<Process> {
    return this.readProcess('getprocessmsg', { processid: processId }, options);
  }

  /**
   * `getprocessesmsg`: processes in one state (default WAITING), at most
   * `count` (1–100, default 100). Filters are exclusive on the server:
   * executorType > initiator > label. Throws the first
   * `UnreadableProcessError` when one of them cannot be decoded: use
   * `getProcessListing` to get the others anyway.
   */
  async getProcesses(query: ProcessesQuery = {}, options?: CallOptions): Promise<Process[]> {
    return throwFirstUnreadable(await this.getProcessListing(query, options));
  }

  /**
   * `getprocessesmsg`, each process decoded on its own: the readable ones,
   * plus an `UnreadableProcessError` (with the process id when the raw
   * reply shows it) for each one that cannot be decoded.
   */
  async getProcessListing(query: ProcessesQuery = {}, options?: CallOptions): Promise<ProcessListing> {
    const count = query.count ?? 100;
    if (!Number.isInteger(count) || count < 1 || count > 100) throw new ColoniesArgumentError(`getProcesses: count must be 1–100, got ${count}`);
    return this.readProcessListing(
      'getprocessesmsg',
      {
        colonyname: this.colony(query.colonyName),
        count,
        state: query.state ?? 0,
        executortype: query.executorType ?? '',
        label: query.label ?? '',
        initiator: query.initiator ?? '',
      },
      options,
    );
  }

  /**
   * `assignprocessmsg` (an approved executor): long-polls up to `timeout`
   * seconds (default 60; negative = one immediate attempt) for a process.
   * Resolves to `null` when none came (the server's 404). The HTTP timeout is
   * the long-poll plus `assignMarginMs`. Never retried (it is a write).
   * Each call is also the executor's heartbeat (§3.11).
   */
  async assign(
    request: { timeout?: number; availableCpu?: string; availableMem?: string; colonyName?: string } = {},
    options?: CallOptions,
  ): Promise<Process | null> {
    const timeout = request.timeout ?? 60;
    if (!Number.isInteger(timeout) || timeout === 0) {
      throw new ColoniesArgumentError('assign: timeout must be a non-zero integer number of seconds (negative = no waiting)');
    }
    const timeoutMs = Math.max(options?.timeoutMs ?? this.#core.transport.timeoutMs, timeout > 0 ? timeout * 1000 + this.#core.assignMarginMs : 0);
    let text: string;
    try {
      ({ text } = await this.rpcText(
        'assignprocessmsg',
        { colonyname: this.colony(request.colonyName), timeout, availablecpu: request.availableCpu ?? '', availablemem: request.availableMem ?? '' },
        false,
        { ...options, timeoutMs },
      ));
    } catch (error) {
      if (ColoniesError.isInstance(error) && error.isNoProcessAvailable) return null;
      throw error;
    }
    // Assigned but unreadable: UnreadableProcessError with the id, so the caller can close it failed.
    return decodeProcess('assignprocessmsg', text);
  }

  /** `closesuccessfulmsg` (the assigned executor). `out` replaces the output when non-empty. */
  async closeSuccessful(processId: string, out?: JsonValue[], options?: CallOptions): Promise<void> {
    await this.write('closesuccessfulmsg', out === undefined ? { processid: processId } : { processid: processId, out }, options);
  }

  /** `closefailedmsg` (the assigned executor). */
  async closeFailed(processId: string, errors: string[] | string, options?: CallOptions): Promise<void> {
    await this.write('closefailedmsg', { processid: processId, errors: typeof errors === 'string' ? [errors] : errors }, options);
  }

  /** `setoutputmsg` (the assigned executor, while RUNNING). */
  async setOutput(processId: string, out: JsonValue[], options?: CallOptions): Promise<void> {
    await this.write('setoutputmsg', { processid: processId, out }, options);
  }

  /** `cancelprocessmsg` (members; WAITING or RUNNING processes → CANCELLED). v1.9.12+. */
  async cancelProcess(processId: string, options?: CallOptions): Promise<void> {
    await this.write('cancelprocessmsg', { processid: processId }, options);
  }

  /** `removeprocessmsg` (not RUNNING). */
  async removeProcess(processId: string, options?: CallOptions & { all?: boolean }): Promise<void> {
    await this.write('removeprocessmsg', { processid: processId, all: options?.all ?? false }, options);
  }

  /** `removeallprocessesmsg` (colony owner): of one state, or all (-1, default) except RUNNING. */
  async removeAllProcesses(query: { state?: ProcessState | -1; colonyName?: string } = {}, options?: CallOptions): Promise<void> {
    await this.write('removeallprocessesmsg', { colonyname: this.colony(query.colonyName), state: query.state ?? -1 }, options);
  }

  /**
   * `getprocesshistmsg`: processes of `state` in the last `seconds`, optionally
   * of one executor. (The v1.9.12 server writes no reply when authorization
   * fails: that surfaces as a timeout.)
   */
  async getProcessHistory(
    query: { state: ProcessState; seconds: number; executorId?: string; colonyName?: string },
    options?: CallOptions,
  ): Promise<Process[]> {
    const listing = await this.readProcessListing(
      'getprocesshistmsg',
      { colonyname: this.colony(query.colonyName), executorid: query.executorId ?? '', seconds: query.seconds, state: query.state },
      options,
    );
    return throwFirstUnreadable(listing);
  }

  /** `pauseassignmentsmsg` (colony owner): assign calls wait (408/503) until resumed. */
  async pauseAssignments(colonyName?: string, options?: CallOptions): Promise<void> {
    await this.write('pauseassignmentsmsg', { colonyname: this.colony(colonyName) }, options);
  }

  /** `resumeassignmentsmsg` (colony owner). */
  async resumeAssignments(colonyName?: string, options?: CallOptions): Promise<void> {
    await this.write('resumeassignmentsmsg', { colonyname: this.colony(colonyName) }, options);
  }

  /** `getpausestatusmsg` (members): whether assignments are paused (reply `pausestatusreplymsg`). */
  async getPauseStatus(colonyName?: string, options?: CallOptions): Promise<boolean> {
    const r = expectObject('getpausestatusmsg', await this.read('getpausestatusmsg', { colonyname: this.colony(colonyName) }, options));
    return r.ispaused === true;
  }

  // ---------------------------------------------------------------- logs

  /** `addlogmsg` (the assigned executor, while RUNNING). The message is stored verbatim. */
  async addLog(processId: string, message: string, options?: CallOptions): Promise<void> {
    await this.write('addlogmsg', { processid: processId, message }, options);
  }

  /** `addexecutorlogmsg` (an executor, under its own name). */
  async addExecutorLog(
    entry: { executorName: string; message: string; colonyName?: string },
    options?: CallOptions,
  ): Promise<void> {
    await this.write(
      'addexecutorlogmsg',
      { colonyname: this.colony(entry.colonyName), executorname: entry.executorName, message: entry.message },
      options,
    );
  }

  /**
   * `getlogsmsg`: logs of a process (or of an executor with `executorName`),
   * ascending. `since` is an exact int64 cursor (a `timestamp` you received):
   * only entries with a larger timestamp come back. `latest` gives the newest
   * `count`. `count` ≤ 500 (default 100).
   */
  async getLogs(
    query: { processId?: string; executorName?: string; count?: number; since?: bigint | string; latest?: boolean; colonyName?: string },
    options?: CallOptions,
  ): Promise<Log[]> {
    const count = query.count ?? 100;
    if (!Number.isInteger(count) || count < 1 || count > 500) throw new ColoniesArgumentError(`getLogs: count must be 1–500, got ${count}`);
    const since = toSince(query.since);
    const r = await this.read(
      'getlogsmsg',
      {
        colonyname: this.colony(query.colonyName),
        processid: query.processId ?? '',
        executorname: query.executorName ?? '',
        count,
        since,
        latest: query.latest ?? false,
      },
      options,
    );
    return expectList('getlogsmsg', r, toLog);
  }

  /** `searchlogsmsg`: logs containing `text` from the last `days` (≤ 30, default 1), at most `count` (≤ 100). */
  async searchLogs(query: { text: string; days?: number; count?: number; colonyName?: string }, options?: CallOptions): Promise<Log[]> {
    const r = await this.read(
      'searchlogsmsg',
      { colonyname: this.colony(query.colonyName), text: query.text, days: query.days ?? 1, count: query.count ?? 100 },
      options,
    );
    return expectList('searchlogsmsg', r, toLog);
  }

  /**
   * Every log entry of a process, in order, exactly once, as they come; ends
   * when the process is terminal and its logs are drained.
   */
  followLogs(processId: string, options: FollowLogsOptions = {}): AsyncIterableIterator<Log> {
    return followLogs(this, processId, options);
  }

  // ---------------------------------------------------------------- attributes

  /** `addattributemsg` (the assigned executor, while RUNNING). Default type OUT. */
  async addAttribute(
    attribute: { processId: string; key: string; value: string; type?: AttributeType; colonyName?: string },
    options?: CallOptions,
  ): Promise<Attribute> {
    const r = await this.write(
      'addattributemsg',
      {
        attribute: {
          attributeid: '',
          targetid: attribute.processId,
          targetcolonyname: this.colony(attribute.colonyName),
          targetprocessgraphid: '',
          state: 0,
          attributetype: attribute.type ?? AttributeType.OUT,
          key: attribute.key,
          value: attribute.value,
        },
      },
      options,
    );
    return expectObject('addattributemsg', r) as unknown as Attribute;
  }

  /** `getattributemsg` (unknown id → 400). */
  async getAttribute(attributeId: string, options?: CallOptions): Promise<Attribute> {
    return expectObject('getattributemsg', await this.read('getattributemsg', { attributeid: attributeId }, options)) as unknown as Attribute;
  }

  // ---------------------------------------------------------------- CFS files

  /** `addfilemsg`: registers a file revision (the blob goes to S3 separately). Leave S3 credentials empty. */
  async addFile(file: CfsFileInput, options?: CallOptions): Promise<CfsFile> {
    const s3 = file.ref.s3object;
    const body = {
      fileid: file.fileid ?? '',
      colonyname: this.colony(file.colonyname),
      label: file.label,
      name: file.name,
      size: file.size,
      sequencenr: file.sequencenr ?? 0,
      checksum: file.checksum,
      checksumalg: file.checksumalg ?? 'SHA256',
      ref: {
        protocol: file.ref.protocol ?? 's3',
        s3object: {
          server: s3.server ?? '',
          port: s3.port ?? -1,
          tls: s3.tls ?? false,
          accesskey: s3.accesskey ?? '',
          secretkey: s3.secretkey ?? '',
          region: s3.region ?? '',
          encryptionkey: s3.encryptionkey ?? '',
          encryptionalg: s3.encryptionalg ?? '',
          object: s3.object,
          bucket: s3.bucket ?? '',
        },
      },
      added: file.added ?? '0001-01-01T00:00:00Z',
    };
    return toCfsFile(expectObject('addfilemsg', await this.write('addfilemsg', { file: body }, options)));
  }

  /** `getfilemsg` by id, or the newest revision of `label`+`name`. 404/400 `ColoniesError` when unknown. */
  async getFile(query: { fileId: string; colonyName?: string } | { label: string; name: string; colonyName?: string }, options?: CallOptions): Promise<CfsFile> {
    const byId = 'fileId' in query;
    const files = await this.getFileQuery(
      byId
        ? { colonyname: this.colony(query.colonyName), fileid: query.fileId, label: '', name: '', latest: false }
        : { colonyname: this.colony(query.colonyName), fileid: '', label: query.label, name: query.name, latest: true },
      options,
    );
    const file = files[0];
    if (!file) throw new ColoniesError({ status: 404, httpStatus: 200, serverMessage: 'no such file', payloadtype: 'getfilemsg', envelope: false, retryable: false });
    return file;
  }

  /** `getfilemsg` with `latest: false`: every revision of `label`+`name`, newest first. */
  async getFileRevisions(query: { label: string; name: string; colonyName?: string }, options?: CallOptions): Promise<CfsFile[]> {
    return this.getFileQuery({ colonyname: this.colony(query.colonyName), fileid: '', label: query.label, name: query.name, latest: false }, options);
  }

  private async getFileQuery(fields: Record<string, unknown>, options?: CallOptions): Promise<CfsFile[]> {
    return expectList('getfilemsg', await this.read('getfilemsg', fields, options), toCfsFile);
  }

  /** `getfilesmsg`: the newest revision of each file directly in `label` (not sub-labels). */
  async getFiles(label: string, options?: CallOptions & { colonyName?: string }): Promise<FileData[]> {
    return expectList('getfilesmsg', await this.read('getfilesmsg', { label, colonyname: this.colony(options?.colonyName) }, options), toFileData);
  }

  /**
   * `getfilelabelsmsg`. `exact: true` → `name` and its sub-labels, but nothing
   * at all when `name` has no direct files (server quirk, §4.2); `exact: false`
   * → plain prefix match. `name: ""` → every label.
   */
  async getFileLabels(query: { name?: string; exact?: boolean; colonyName?: string } = {}, options?: CallOptions): Promise<Label[]> {
    const r = await this.read(
      'getfilelabelsmsg',
      { colonyname: this.colony(query.colonyName), name: query.name ?? '', exact: query.exact ?? false },
      options,
    );
    return expectList('getfilelabelsmsg', r, toLabel);
  }

  /** `removefilemsg` by id, or every revision of `label`+`name`. S3 objects are not deleted. */
  async removeFile(query: { fileId: string; colonyName?: string } | { label: string; name: string; colonyName?: string }, options?: CallOptions): Promise<void> {
    const fields =
      'fileId' in query
        ? { colonyname: this.colony(query.colonyName), fileid: query.fileId, label: '', name: '' }
        : { colonyname: this.colony(query.colonyName), fileid: '', label: query.label, name: query.name };
    await this.write('removefilemsg', fields, options);
  }

  // ---------------------------------------------------------------- snapshots

  /** `createsnapshotmsg`: freezes the newest revisions under `label` (empty when `label` itself has no files). */
  async createSnapshot(query: { label: string; name: string; colonyName?: string }, options?: CallOptions): Promise<Snapshot> {
    checkName(query.name, 'snapshot name');
    const r = await this.write('createsnapshotmsg', { colonyname: this.colony(query.colonyName), label: query.label, name: query.name }, options);
    return toSnapshot(expectObject('createsnapshotmsg', r));
  }

  /** `getsnapshotmsg` by id or name (unknown → 500 `ColoniesError`). */
  async getSnapshot(query: { snapshotId: string; colonyName?: string } | { name: string; colonyName?: string }, options?: CallOptions): Promise<Snapshot> {
    const fields =
      'snapshotId' in query
        ? { colonyname: this.colony(query.colonyName), snapshotid: query.snapshotId, name: '' }
        : { colonyname: this.colony(query.colonyName), snapshotid: '', name: query.name };
    return toSnapshot(expectObject('getsnapshotmsg', await this.read('getsnapshotmsg', fields, options)));
  }

  /** `getsnapshotsmsg`. */
  async getSnapshots(colonyName?: string, options?: CallOptions): Promise<Snapshot[]> {
    return expectList('getsnapshotsmsg', await this.read('getsnapshotsmsg', { colonyname: this.colony(colonyName) }, options), toSnapshot);
  }

  /** `removesnapshotmsg` by id or name (files untouched; unknown → no error). */
  async removeSnapshot(query: { snapshotId: string; colonyName?: string } | { name: string; colonyName?: string }, options?: CallOptions): Promise<void> {
    const fields =
      'snapshotId' in query
        ? { colonyname: this.colony(query.colonyName), snapshotid: query.snapshotId, name: '' }
        : { colonyname: this.colony(query.colonyName), snapshotid: '', name: query.name };
    await this.write('removesnapshotmsg', fields, options);
  }

  /** `removeallsnapshotmsg`. */
  async removeAllSnapshots(colonyName?: string, options?: CallOptions): Promise<void> {
    await this.write('removeallsnapshotmsg', { colonyname: this.colony(colonyName) }, options);
  }

  // ---------------------------------------------------------------- pubsub

  /** One `/pubsub` socket with one `subscribeprocessmsg` frame per state; ends when the server drops it. */
  subscribeProcess(processId: string, options: SubscribeProcessOptions): AsyncIterableIterator<Process> {
    return subscribeProcess(this, processId, options);
  }

  /** One `/pubsub` socket with `subscribeprocessesmsg` (executors only). */
  subscribeProcesses(options: SubscribeProcessesOptions): AsyncIterableIterator<Process> {
    return subscribeProcesses(this, options);
  }

  /** State changes of a process, resubscribing as needed, polling when WebSockets are blocked. */
  watchProcess(processId: string, options: WatchProcessOptions = {}): AsyncIterableIterator<Process> {
    return watchProcess(this, processId, options);
  }

  /** Resolves with the process once it is in one of `states` (default: terminal) or terminal. */
  waitForProcess(processId: string, states?: readonly ProcessState[], options?: WaitForProcessOptions): Promise<Process> {
    return waitForProcess(this, processId, states, options);
  }
}

/** Creates a client. Accepts the result of `loadColoniesConfig()` as options. */
export function createColoniesClient(options: ColoniesClientOptions): ColoniesClient {
  const baseUrl = baseUrlOf(options);
  const retry = options.retry === false ? { retries: 0 } : (options.retry ?? {});
  const transport = new HttpTransport({
    baseUrl,
    fetch: options.fetch,
    timeoutMs: options.timeoutMs ?? 30_000,
    retry: { retries: retry.retries ?? 3, minDelayMs: retry.minDelayMs ?? 100, maxDelayMs: retry.maxDelayMs ?? 2000 },
    skipTlsVerify: options.skipTlsVerify ?? false,
    onRetry: options.onRetry,
    ...(options.maxReplyBytes === undefined ? {} : { maxReplyBytes: checkMaxReplyBytes(options.maxReplyBytes) }),
  });
  const core: ClientCore = {
    transport,
    pubsubUrl: options.pubsubUrl ?? `${baseUrl.replace(/^http/, 'ws')}/pubsub`,
    colonyName: options.colonyName || undefined,
    colonyPrivateKey: options.colonyPrivateKey ? checkKey(options.colonyPrivateKey, 'colonyPrivateKey') : undefined,
    serverPrivateKey: options.serverPrivateKey ? checkKey(options.serverPrivateKey, 'serverPrivateKey') : undefined,
    assignMarginMs: options.assignMarginMs ?? 15_000,
    skipTlsVerify: options.skipTlsVerify ?? false,
  };
  return new ColoniesClient(core, options.privateKey ? checkKey(options.privateKey, 'privateKey') : undefined);
}

/** The query of `getProcesses` / `getProcessListing`. */
export interface ProcessesQuery {
  state?: ProcessState;
  count?: number;
  executorType?: string;
  label?: string;
  initiator?: string;
  colonyName?: string;
}

function throwFirstUnreadable(listing: ProcessListing): Process[] {
  const first = listing.unreadable[0];
  if (first !== undefined) throw first;
  return listing.processes;
}

/** The largest string V8 can hold is about 2^29 characters: a larger cap could never be honoured. */
const MAX_REPLY_BYTES_CEILING = 512 * 1024 * 1024;

function checkMaxReplyBytes(value: number): number {
  if (!Number.isSafeInteger(value) || value < 1024 || value > MAX_REPLY_BYTES_CEILING) {
    throw new ColoniesConfigError('maxReplyBytes', `maxReplyBytes must be an integer number of bytes from 1024 to ${MAX_REPLY_BYTES_CEILING}, got ${value}`);
  }
  return value;
}

function checkName(name: string, what: string): void {
  if (typeof name !== 'string' || name === '') throw new ColoniesArgumentError(`${what} must be a non-empty string`);
  // Names are stored as "colony:name": a ':' breaks later listings of the whole colony (§3.10).
  if (name.includes(':')) throw new ColoniesArgumentError(`${what} must not contain ':' (got ${JSON.stringify(name)})`);
}

function toSince(since: bigint | string | undefined): bigint | number {
  if (since === undefined) return 0;
  if (typeof since === 'bigint') return since;
  if (typeof since === 'string' && /^\d+$/.test(since)) return BigInt(since);
  throw new ColoniesArgumentError('getLogs: since must be a bigint (or a string of digits): a log timestamp, exactly');
}

const CPU_RE = /^(\d+m)?$/;

/** Fills the defaults of a FunctionSpec and refuses what the server would silently mis-handle. */
export function completeSpec(spec: FunctionSpecInput, defaultColony: string | undefined): FunctionSpec {
  const c = spec.conditions ?? {};
  const colonyname = c.colonyname || defaultColony;
  if (!colonyname) throw new ColoniesArgumentError('submit: spec.conditions.colonyname is missing and the client has no default colony');
  if (!spec.funcname) throw new ColoniesArgumentError('submit: spec.funcname is required (e.g. "execute")');
  if (!c.executortype) throw new ColoniesArgumentError('submit: spec.conditions.executortype is required: it must equal the executors\' type exactly');
  const maxexectime = spec.maxexectime ?? -1;
  if (maxexectime === 0) {
    throw new ColoniesArgumentError('submit: maxexectime 0 makes the server fail the process about 1 s after assignment; use -1 for "no limit" or a number of seconds');
  }
  const cpu = c.cpu ?? '';
  if (!CPU_RE.test(cpu)) throw new ColoniesArgumentError(`submit: conditions.cpu must be "<n>m" millicores (e.g. "4000m"); the server reads ${JSON.stringify(cpu)} as 0m`);
  const nodes = c.nodes ?? 1;
  const processespernode = c.processespernode ?? 1;
  const processes = c.processes ?? 0;
  for (const [k, v] of [['nodes', nodes], ['processespernode', processespernode], ['processes', processes]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 127) throw new ColoniesArgumentError(`submit: conditions.${k} must be an integer 0–127 (larger values are never assigned), got ${v}`);
  }
  const out: FunctionSpec = {
    nodename: spec.nodename ?? '',
    funcname: spec.funcname,
    args: spec.args ?? [],
    kwargs: spec.kwargs ?? {},
    priority: spec.priority ?? 0,
    maxwaittime: spec.maxwaittime ?? -1,
    maxexectime,
    maxretries: spec.maxretries ?? 0,
    conditions: {
      colonyname,
      executornames: c.executornames ?? [],
      executortype: c.executortype,
      ...(c.locationname ? { locationname: c.locationname } : {}),
      dependencies: c.dependencies ?? [],
      nodes,
      cpu,
      processes,
      processespernode,
      mem: c.mem ?? '',
      storage: c.storage ?? '',
      gpu: { name: c.gpu?.name ?? '', mem: c.gpu?.mem ?? '', count: c.gpu?.count ?? 0, nodecount: c.gpu?.nodecount ?? 0 },
      walltime: c.walltime ?? 0,
    },
    label: spec.label ?? '',
    fs: { mount: spec.fs?.mount ?? '', snapshots: spec.fs?.snapshots ?? [], dirs: spec.fs?.dirs ?? [] },
    env: spec.env ?? {},
  };
  if (spec.channels && spec.channels.length > 0) out.channels = spec.channels;
  return out;
}
