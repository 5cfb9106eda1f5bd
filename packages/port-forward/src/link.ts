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
import { readerStart, scanDirection, senderStart } from './link-start';
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

/** Opens a forward link over `processId`'s channels; see `ForwardLink`. */
export function createChannelLink(options: ChannelLinkOptions & ChannelLinkInternals): ForwardLink {
  checkOptions(options);
  const { client, processId, role } = options;
  const layout: LinkLayout = {
    entriesPerChannel: options.layout?.entriesPerChannel ?? FORWARD_ENTRIES_PER_CHANNEL,
    channelsPerDirection: options.layout?.channelsPerDirection ?? FORWARD_CHANNELS_PER_DIRECTION,
  };
  const timing: ReceiverTiming = { ...DEFAULT_TIMING, ...options.timing };
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

  const processEnd = async (): Promise<LinkEnd | undefined> => {
    try {
      const process = await client.getProcess(processId, { signal });
      return isTerminalProcessState(process.state) ? { kind: 'process-ended', state: stateWord(process.state) } : undefined;
    } catch {
      return undefined; // unknown: the next poll asks again
    }
  };
  const context = { client, processId, role, processEnd };
  const refusedEnd = (error: unknown, channel: string) => refusalEnd(error, channel, context);

  const sender = new LinkSender({
    client,
    processId,
    direction: direction.send,
    layout,
    maxAppendBytes: options.maxAppendBytes ?? DEFAULTS.maxAppendBytes,
    window: options.window ?? DEFAULTS.window,
    bucket: new TokenBucket(options.appendsPerSecond ?? DEFAULTS.appendsPerSecond, options.burst ?? DEFAULTS.burst),
    signal,
    notice,
    refusedEnd,
    end: finish,
  });

  /** Polls the process every processPollMs; the server ends subscriptions silently when it closes. */
  const watchProcess = async () => {
    const period = options.processPollMs ?? DEFAULTS.processPollMs;
    while (await delay(period, signal)) {
      const end = await processEnd();
      if (end !== undefined) finish(end);
    }
  };

  /** The process (and the peer's id, waiting for an assignment when we submitted), then where to start. */
  const start = async () => {
    let process: Process;
    for (;;) {
      try {
        process = await retryTransient(() => client.getProcess(processId, { signal }), signal);
      } catch (error) {
        if (!signal.aborted) finish({ kind: 'refused', refusal: 'process-not-found', message: `process ${processId} could not be read: ${(error as Error).message}` });
        return;
      }
      if (isTerminalProcessState(process.state)) return finish({ kind: 'process-ended', state: stateWord(process.state) });
      if (options.peerId !== undefined || role === 'executor' || process.assignedexecutorid !== '') break;
      if (!(await delay(Math.min(500, options.processPollMs ?? DEFAULTS.processPollMs), signal))) return;
    }
    const peerId = options.peerId ?? (role === 'executor' ? process.initiatorid : process.assignedexecutorid);
    const ownId = client.id ?? '';
    let tails;
    try {
      tails = await Promise.all(
        [direction.send, direction.read].map((which) => retryTransient(() => scanDirection({ client, processId, direction: which, layout, signal }), signal)),
      );
    } catch (error) {
      if (!signal.aborted) finish(await refusedEnd(error, `pollinator-forward-${direction.read}-0`));
      return;
    }
    sender.start(senderStart(tails[0]!, ownId, layout));
    const receiver = new LinkReceiver(
      {
        client, processId, direction: direction.read, layout, timing, peerId, signal: readController.signal, notice,
        deliver: (payload) => payloads.push(payload),
        peerClosed: (reason) => void peerClosed(reason),
        checkProcess: async () => {
          const end = await processEnd();
          if (end !== undefined) finish(end);
        },
        refused: async (error, channel) => finish(await refusedEnd(error, channel)),
        exhausted: () =>
          finish({
            kind: 'limit',
            message: `the other side has used all ${layout.channelsPerDirection} forward channels of process ${processId}: the process cannot carry more forwarded traffic; start the job again to forward more`,
          }),
      },
      readerStart(tails[1]!, peerId, role === 'submitter', layout),
    );
    await receiver.run();
  };

  /** The peer closed: stop writing, mark the session's end on our side too (so a later forward starts after it). */
  const peerClosed = async (reason?: string) => {
    payloads.end();
    closing ??= (async () => {
      readController.abort();
      sender.stop(new ForwardLinkError('FORWARD_LINK_ENDED', 'the other side closed the forward'));
      await sender.sendControl('end');
    })();
    await closing;
    finish({ kind: 'closed', by: 'peer', ...(reason === undefined ? {} : { reason }) });
  };

  const close = async (reason?: string): Promise<void> => {
    if (settled !== undefined) return;
    closing ??= (async () => {
      readController.abort();
      // Not started yet (still waiting for an assignment, or looking at the channels): nothing was sent, nothing to end.
      if (!sender.started) sender.stop(new ForwardLinkError('FORWARD_LINK_ENDED', 'the forward link was closed before it started'));
      await sender.sendControl(reason === undefined ? 'end' : 'error', reason === undefined ? undefined : Buffer.from(reason, 'utf8'));
      finish({ kind: 'closed', by: 'us', ...(reason === undefined ? {} : { reason }) });
    })();
    await closing;
  };

  if (options.signal?.aborted) void close();
  else options.signal?.addEventListener('abort', () => void close(), { once: true });
  void start().catch((error: unknown) => finish({ kind: 'error', message: `the forward over process ${processId} failed: ${(error as Error).message}` }));
  void watchProcess();

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
