// createChannelLink: one forward's two one-way links over a process's
// channels (the submitter sends `up` and reads `down`, the executor the other
// way round), with the process watched so that its end ends the link.
// Wire design: /tmp contract "Wire design of a forward"; README "The link".
import { setMaxListeners } from 'node:events';
import {
  channelRefusal,
  CHANNEL_LIMITS,
  ColoniesClientError,
  isTerminalProcessState,
  processStateName,
  type ColoniesClient,
  type Process,
} from '@pollinator/colonies-client';
import { FORWARD_CHANNELS_PER_DIRECTION, FORWARD_ENTRIES_PER_CHANNEL, type ForwardDirection } from '@pollinator/spec-builder';
import { ForwardLinkError } from './link-errors';
import { LinkReceiver, type ReceiverTiming } from './link-receiver';
import { LinkSender, type LinkLayout } from './link-sender';
import { readerStart, scanDirection, senderStart, unclosedOwnSession, type DirectionTail } from './link-start';
import type { ChannelLinkOptions, ForwardLink, LinkEnd, LinkRole } from './link-types';
import { PayloadQueue } from './payload-queue';
import { delay, TokenBucket } from './token-bucket';

/** Knobs for tests (small channels, quick timeouts); the defaults are the protocol's. */
export interface ChannelLinkInternals {
  layout?: Partial<LinkLayout>;
  timing?: Partial<ReceiverTiming>;
  /** How often the process is asked whether it still runs, ms (default 2000). */
  processPollMs?: number;
}

const DEFAULTS = { maxAppendBytes: 512 * 1024, window: 4, appendsPerSecond: 40, burst: 100, processPollMs: 2000 } as const;
const DEFAULT_TIMING: ReceiverTiming = { subscribeTimeoutSeconds: 10, silentGraceMs: 3000, pollIntervalMs: 100 };

const directions = (role: LinkRole): { send: ForwardDirection; read: ForwardDirection } =>
  role === 'submitter' ? { send: 'up', read: 'down' } : { send: 'down', read: 'up' };

/** 'successful' | 'failed' | 'cancelled' (what a user reads after "the process has ended"). */
const stateWord = (state: number) => ({ 2: 'successful', 3: 'failed', 4: 'cancelled' })[state] ?? processStateName(state).toLowerCase();

function checkOptions(options: ChannelLinkOptions): void {
  const positive = (value: number | undefined, what: string) => {
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) throw new RangeError(`createChannelLink: ${what} must be > 0, got ${value}`);
  };
  positive(options.maxAppendBytes, 'maxAppendBytes');
  positive(options.window, 'window');
  positive(options.appendsPerSecond, 'appendsPerSecond');
  positive(options.burst, 'burst');
  if ((options.maxAppendBytes ?? 0) > CHANNEL_LIMITS.maxPayloadBytes) {
    throw new RangeError(`createChannelLink: maxAppendBytes ${options.maxAppendBytes} is over the server's ${CHANNEL_LIMITS.maxPayloadBytes}-byte payload limit`);
  }
}

/** Runs `call`, again after a network failure or a retryable answer (not a channel refusal), a few times. */
async function retryTransient<T>(call: () => Promise<T>, signal: AbortSignal): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      const transient = ColoniesClientError.isInstance(error) && error.retryable && channelRefusal(error) === undefined;
      if (!transient || attempt >= 4 || !(await delay(200 * 2 ** attempt, signal))) throw error;
    }
  }
}

/** The link's end for a refused channel call: a plain message naming the process and what to do. */
async function refusalEnd(error: unknown, channel: string, link: { client: ColoniesClient; processId: string; role: LinkRole; processEnd(): Promise<LinkEnd | undefined> }): Promise<LinkEnd> {
  const { processId, role } = link;
  const refusal = channelRefusal(error);
  switch (refusal) {
    case 'not-authorized':
      return {
        kind: 'refused',
        refusal,
        message:
          role === 'submitter'
            ? `only the submitter of process ${processId} can forward to it, and this identity (${link.client.id ?? 'no key'}) did not submit it`
            : `only the executor assigned to process ${processId} can relay its forward, and this executor (${link.client.id ?? 'no key'}) is not assigned to it`,
      };
    case 'channel-not-found':
    case 'process-not-found':
      return (
        (await link.processEnd()) ??
        (refusal === 'process-not-found'
          ? { kind: 'refused', refusal, message: `process ${processId} was not found in the colony` }
          : { kind: 'refused', refusal, message: `process ${processId} has no forward channel ${channel}: add "tunnel: {port: N}" to project.yaml and run the job again` })
      );
    case 'log-full':
      return { kind: 'limit', message: `the forward channel ${channel} of process ${processId} is full (the server keeps ${CHANNEL_LIMITS.maxEntries} messages per channel, never trimmed): start the job again to forward more` };
    case 'payload-too-large':
      return { kind: 'limit', message: `a forward message was larger than the server accepts (${CHANNEL_LIMITS.maxPayloadBytes} bytes): use a smaller maxAppendBytes` };
    case 'too-many-channels':
      return { kind: 'limit', message: `process ${processId} declares more channels than the server allows (${CHANNEL_LIMITS.maxChannels}): the forward cannot use ${channel}` };
    default:
      return { kind: 'error', message: `the forward over process ${processId} failed: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** What the parts of one channel link share. */
interface LinkCore {
  options: ChannelLinkOptions & ChannelLinkInternals;
  layout: LinkLayout;
  direction: { send: ForwardDirection; read: ForwardDirection };
  /** Aborted when the link ends. */
  signal: AbortSignal;
  /** Aborted when the link stops reading (closing, or ended). */
  readController: AbortController;
  payloads: PayloadQueue;
  sender: LinkSender;
  finish(end: LinkEnd): void;
  processEnd(): Promise<LinkEnd | undefined>;
  refusedEnd(error: unknown, channel: string): Promise<LinkEnd>;
  notice(text: string): void;
  peerClosed(reason?: string): void;
  /** The peer broke the protocol: tell it why and end as an error. */
  violated(message: string): void;
}

function linkLayout(options: ChannelLinkInternals): LinkLayout {
  return {
    entriesPerChannel: options.layout?.entriesPerChannel ?? FORWARD_ENTRIES_PER_CHANNEL,
    channelsPerDirection: options.layout?.channelsPerDirection ?? FORWARD_CHANNELS_PER_DIRECTION,
  };
}

/** The process's end, if it has ended (unknown on a failed read: the next poll asks again). */
async function processEndOf(client: ColoniesClient, processId: string, signal: AbortSignal): Promise<LinkEnd | undefined> {
  try {
    const process = await client.getProcess(processId, { signal });
    return isTerminalProcessState(process.state) ? { kind: 'process-ended', state: stateWord(process.state) } : undefined;
  } catch {
    return undefined;
  }
}

/** Polls the process every processPollMs; the server ends subscriptions silently when it closes. */
async function watchProcess(core: LinkCore): Promise<void> {
  const period = core.options.processPollMs ?? DEFAULTS.processPollMs;
  while (await delay(period, core.signal)) {
    const end = await core.processEnd();
    if (end !== undefined) core.finish(end);
  }
}

/** The process once it can be forwarded over (the submitter waits for an assignment); undefined when the link ended. */
async function awaitProcess(core: LinkCore): Promise<Process | undefined> {
  const { options, signal } = core;
  const { client, processId, role } = options;
  for (;;) {
    let process: Process;
    try {
      process = await retryTransient(() => client.getProcess(processId, { signal }), signal);
    } catch (error) {
      if (!signal.aborted) core.finish({ kind: 'refused', refusal: 'process-not-found', message: `process ${processId} could not be read: ${(error as Error).message}` });
      return undefined;
    }
    if (isTerminalProcessState(process.state)) {
      core.finish({ kind: 'process-ended', state: stateWord(process.state) });
      return undefined;
    }
    if (options.peerId !== undefined || role === 'executor' || process.assignedexecutorid !== '') return process;
    if (!(await delay(Math.min(500, options.processPollMs ?? DEFAULTS.processPollMs), signal))) return undefined;
  }
}

/** The process (and the peer's id), then where to start on both directions, then reads until the end. */
async function startLink(core: LinkCore): Promise<void> {
  const { options, layout, direction, signal } = core;
  const { client, processId, role } = options;
  const process = await awaitProcess(core);
  if (process === undefined) return;
  const peerId = options.peerId ?? (role === 'executor' ? process.initiatorid : process.assignedexecutorid);
  let tails;
  try {
    tails = await Promise.all(
      [direction.send, direction.read].map((which) => retryTransient(() => scanDirection({ client, processId, direction: which, layout, signal }), signal)),
    );
  } catch (error) {
    if (!signal.aborted) core.finish(await core.refusedEnd(error, `pollinator-forward-${direction.read}-0`));
    return;
  }
  const [sendTail, readTail] = tails as [DirectionTail, DirectionTail];
  core.sender.start(senderStart(sendTail, client.id ?? '', layout));
  // The submitter always skips what a crashed executor left; the executor does once its own side shows one (link-start).
  const skipUnclosed = role === 'submitter' || unclosedOwnSession(sendTail, peerId);
  const receiver = new LinkReceiver(
    {
      client, processId, direction: direction.read, layout, peerId, signal: core.readController.signal, notice: (text) => core.notice(text),
      timing: { ...DEFAULT_TIMING, ...options.timing },
      deliver: (payload) => core.payloads.push(payload),
      peerClosed: (reason) => core.peerClosed(reason),
      checkProcess: async () => {
        const end = await core.processEnd();
        if (end !== undefined) core.finish(end);
      },
      refused: async (error, channel) => core.finish(await core.refusedEnd(error, channel)),
      violated: (message) => core.violated(message),
      // An honest peer holds at most its window in flight; four times ours leaves room for a peer that uses a larger one.
      reorderLimits: { maxHeldEntries: 4 * Math.max(options.window ?? DEFAULTS.window, DEFAULTS.window) },
      exhausted: () =>
        core.finish({
          kind: 'limit',
          message: `the other side has used all ${layout.channelsPerDirection} forward channels of process ${processId}: the process cannot carry more forwarded traffic; start the job again to forward more`,
        }),
    },
    readerStart(readTail, peerId, skipUnclosed, layout),
  );
  await receiver.run();
}

function createSender(options: ChannelLinkOptions, layout: LinkLayout, send: ForwardDirection, parts: Pick<LinkCore, 'signal' | 'notice' | 'refusedEnd' | 'finish'>): LinkSender {
  return new LinkSender({
    client: options.client,
    processId: options.processId,
    direction: send,
    layout,
    maxAppendBytes: options.maxAppendBytes ?? DEFAULTS.maxAppendBytes,
    window: options.window ?? DEFAULTS.window,
    bucket: new TokenBucket(options.appendsPerSecond ?? DEFAULTS.appendsPerSecond, options.burst ?? DEFAULTS.burst),
    signal: parts.signal,
    notice: parts.notice,
    refusedEnd: parts.refusedEnd,
    end: parts.finish,
  });
}

/** Opens a forward link over `processId`'s channels; see `ForwardLink`. */
export function createChannelLink(options: ChannelLinkOptions & ChannelLinkInternals): ForwardLink {
  checkOptions(options);
  const { client, processId, role } = options;
  const layout = linkLayout(options);
  const direction = directions(role);
  const linkController = new AbortController();
  const readController = new AbortController();
  linkController.signal.addEventListener('abort', () => readController.abort(), { once: true });
  // Every append in flight, wait and subscription listens to these: more than Node's default of 10.
  setMaxListeners(0, linkController.signal, readController.signal);
  const signal = linkController.signal;
  const notice = (text: string) => options.onNotice?.(text);
  const payloads = new PayloadQueue();
  let resolveEnded!: (end: LinkEnd) => void;
  const ended = new Promise<LinkEnd>((resolve) => (resolveEnded = resolve));
  let settled: LinkEnd | undefined;
  let closing: Promise<void> | undefined;

  const finish = (end: LinkEnd) => {
    if (settled !== undefined) return;
    settled = end;
    sender.stop(new ForwardLinkError('FORWARD_LINK_ENDED', `the forward link has ended: ${end.kind}`, end));
    payloads.end();
    linkController.abort();
    resolveEnded(end);
  };
  const processEnd = () => processEndOf(client, processId, signal);
  const refusedEnd = (error: unknown, channel: string) => refusalEnd(error, channel, { client, processId, role, processEnd });
  const sender = createSender(options, layout, direction.send, { signal, notice, refusedEnd, finish });

  /** Ends with `end`, after sending our own close (so a later forward starts after it) unless closing already. */
  const closeWith = async (type: 'end' | 'error', reason: string | undefined, end: LinkEnd) => {
    closing ??= (async () => {
      readController.abort();
      if (end.kind === 'closed' && end.by === 'peer') sender.stop(new ForwardLinkError('FORWARD_LINK_ENDED', 'the other side closed the forward'));
      // Not started yet (still waiting for an assignment, or looking at the channels): nothing was sent, nothing to end.
      if (!sender.started) sender.stop(new ForwardLinkError('FORWARD_LINK_ENDED', 'the forward link was closed before it started'));
      await sender.sendControl(type, reason === undefined ? undefined : Buffer.from(reason, 'utf8'));
    })();
    await closing;
    finish(end);
  };
  const peerClosed = (reason?: string) => {
    payloads.end();
    void closeWith('end', undefined, { kind: 'closed', by: 'peer', ...(reason === undefined ? {} : { reason }) });
  };
  const violated = (message: string) => {
    const reason = `protocol error from the peer: ${message}`;
    payloads.end();
    void closeWith('error', reason, { kind: 'error', message: reason });
  };
  const close = async (reason?: string): Promise<void> => {
    if (settled !== undefined) return;
    await closeWith(reason === undefined ? 'end' : 'error', reason, { kind: 'closed', by: 'us', ...(reason === undefined ? {} : { reason }) });
  };

  const core: LinkCore = { options, layout, direction, signal, readController, payloads, sender, finish, processEnd, refusedEnd, notice, peerClosed, violated };
  const callerSignal = options.signal;
  if (callerSignal?.aborted) void close();
  else if (callerSignal !== undefined) {
    const onAbort = () => void close();
    callerSignal.addEventListener('abort', onAbort, { once: true });
    // The caller's signal may outlive the link (a CLI's Ctrl-C): let go of the link once it has ended.
    void ended.then(() => callerSignal.removeEventListener('abort', onAbort));
  }
  void startLink(core).catch((error: unknown) => finish({ kind: 'error', message: `the forward over process ${processId} failed: ${(error as Error).message}` }));
  void watchProcess(core);

  let reading: AsyncIterable<Uint8Array> | undefined;
  return {
    write: (records) => sender.write(records),
    read: () => (reading ??= payloads.iterate()),
    get pendingBytes() {
      return sender.pendingBytes;
    },
    close,
    ended,
  };
}
