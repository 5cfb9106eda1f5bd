// `GET /pubsub` (colonies-protocol.md §3.7): each text frame is a signed
// `subscribeprocessmsg` / `subscribeprocessesmsg` envelope; the server pushes
// `{payloadtype:"subscribeprocessmsg", payload:base64(process), error:false}`
// whenever a matching process enters the subscribed state (immediately when it
// already is in it), error frames without closing the socket, and drops the
// TCP connection (no close frame, code 1006) when a subscription's timeout
// expires — timeout ≤ 0 at once.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { serveChannelSubscription } from './channel-subscription';
import type { ColoniesEngine, ProcessEvent } from './engine';
import { InvalidJsonError } from './json-reader';
import type { Logger } from './logger';
import { REQUEST_LIMITS } from './request-limits';
import { RpcError } from './rpc-error';
import type { SignatureVerifier } from './signature-verifier';

/** 65 bytes of hex: anything else is a signature the server cannot even parse. */
const PARSEABLE_SIGNATURE = /^[0-9a-fA-F]{130}$/;

interface Subscription {
  socket: WebSocket;
  state: number;
  /** Set for `subscribeprocessmsg`. */
  processid?: string;
  /** Set for `subscribeprocessesmsg`. */
  colonyname?: string;
  executortype?: string;
}

export class PubSub {
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  readonly #engine: ColoniesEngine;
  readonly #verifier: SignatureVerifier;
  readonly #logger: Logger;
  readonly #byProcess = new Map<string, Set<Subscription>>();
  readonly #byColony = new Set<Subscription>();
  readonly #timers = new Map<WebSocket, NodeJS.Timeout[]>();
  /** Frames that arrived while the socket serves a channel subscription (the real server reads them only after it). */
  readonly #waiting = new Map<WebSocket, string[]>();

  constructor(engine: ColoniesEngine, verifier: SignatureVerifier, logger: Logger) {
    this.#engine = engine;
    this.#verifier = verifier;
    this.#logger = logger;
    engine.onProcessEvent((event) => this.#publish(event));
    engine.setEventFilter((processid, colonyname, executortype, state) => {
      for (const subscription of this.#byProcess.get(processid) ?? []) if (subscription.state === state) return true;
      for (const subscription of this.#byColony) {
        if (subscription.state === state && subscription.colonyname === colonyname && subscription.executortype === executortype) {
          return true;
        }
      }
      return false;
    }, (processid) => this.#byColony.size > 0 || this.#byProcess.has(processid));
  }

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#wss.handleUpgrade(request, socket, head, (ws) => this.#accept(ws));
  }

  get connections(): number {
    return this.#wss.clients.size;
  }

  /** Drops every socket (server shutdown). */
  close(): void {
    for (const ws of this.#wss.clients) this.#drop(ws);
    this.#wss.close();
  }

  #accept(ws: WebSocket): void {
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const text = Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data as Buffer[]).toString('utf8');
      const waiting = this.#waiting.get(ws);
      if (waiting !== undefined) waiting.push(text);
      else this.#handleFrame(ws, text);
    });
    ws.on('close', () => this.#forget(ws));
    ws.on('error', () => this.#forget(ws));
  }

  #handleFrame(ws: WebSocket, text: string): void {
    try {
      const channel = this.#subscribe(ws, text);
      if (channel === undefined) return;
      // Busy until the channel subscription ends; then the frames that came meanwhile, in order.
      this.#waiting.set(ws, []);
      void channel.then(() => {
        const queued = this.#waiting.get(ws) ?? [];
        this.#waiting.delete(ws);
        while (queued.length > 0 && !this.#waiting.has(ws)) this.#handleFrame(ws, queued.shift()!);
        const busy = this.#waiting.get(ws);
        if (busy !== undefined) busy.unshift(...queued);
      });
    } catch (error) {
      const rpcError = RpcError.isInstance(error) ? error : new RpcError(500, error instanceof Error ? error.message : String(error));
      this.#sendError(ws, rpcError);
    }
  }

  /** Handles one frame; a channel subscription returns the promise of its end. */
  #subscribe(ws: WebSocket, text: string): Promise<void> | undefined {
    let envelope: { payloadtype?: unknown; payload?: unknown; signature?: unknown };
    try {
      envelope = JSON.parse(text) as typeof envelope;
    } catch {
      throw new RpcError(400, 'Failed to parse websocket message, invalid JSON');
    }
    const payloadtype = typeof envelope.payloadtype === 'string' ? envelope.payloadtype : '';
    const payload = typeof envelope.payload === 'string' ? envelope.payload : '';
    const signature = typeof envelope.signature === 'string' ? envelope.signature : '';
    if (!PARSEABLE_SIGNATURE.test(signature)) {
      // v1.9.12 drops the connection (no close frame, no error frame) on a signature it cannot parse.
      this.#drop(ws);
      return undefined;
    }
    const signer = this.#verifier.recover(payload, signature);
    if (payloadtype === 'subscribechannelmsg') return this.#subscribeChannel(ws, signer.id, payload);
    if (payloadtype !== 'subscribeprocessmsg' && payloadtype !== 'subscribeprocessesmsg') {
      throw new RpcError(403, `invalid rpcMsg.PayloadType: ${payloadtype}`);
    }
    const payloadText = Buffer.from(payload, 'base64').toString('utf8');
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(payloadText) as Record<string, unknown>;
    } catch {
      throw new RpcError(400, 'Failed to subscribe to process, invalid JSON');
    }
    if (msg === null || typeof msg !== 'object' || msg.msgtype !== payloadtype) {
      throw new RpcError(403, 'Failed to subscribe to process, msg.msgType does not match rpcMsg.PayloadType');
    }
    const timeout = typeof msg.timeout === 'number' ? msg.timeout : 0;
    if (timeout > REQUEST_LIMITS.timeoutSeconds) {
      throw new RpcError(400, `Failed to subscribe to process, invalid JSON: field timeout: ${timeout} is above the limit of ${REQUEST_LIMITS.timeoutSeconds}`);
    }
    try {
      if (payloadtype === 'subscribeprocessmsg') {
        const { processid, state, current } = this.#engine.subscribeProcess(signer.id, msg);
        if (timeout <= 0) {
          this.#drop(ws);
          return;
        }
        const subscription: Subscription = { socket: ws, state, processid };
        let set = this.#byProcess.get(processid);
        if (!set) this.#byProcess.set(processid, (set = new Set()));
        set.add(subscription);
        this.#arm(ws, timeout);
        if (current && current.state === state) this.#send(ws, current);
      } else {
        const { colonyname, executortype, state } = this.#engine.subscribeProcesses(signer.id, msg);
        if (timeout <= 0) {
          this.#drop(ws);
          return;
        }
        this.#byColony.add({ socket: ws, state, colonyname, executortype });
        this.#arm(ws, timeout);
      }
    } catch (error) {
      if (InvalidJsonError.isInstance(error)) throw new RpcError(400, 'Failed to subscribe to process, invalid JSON');
      throw error;
    }
    return undefined;
  }

  #subscribeChannel(ws: WebSocket, signer: string, payload: string): Promise<void> {
    let msg: Record<string, unknown>;
    try {
      msg = this.#engine.decode('subscribechannelmsg', Buffer.from(payload, 'base64').toString('utf8'));
    } catch (error) {
      // The recorded wording for this message type says rpcMsg.PayloadType.
      if (RpcError.isInstance(error) && /does not match/.test(error.message)) {
        throw new RpcError(400, 'Failed to subscribe to channel, msg.MsgType does not match rpcMsg.PayloadType');
      }
      throw error;
    }
    try {
      const timeout = typeof msg.timeout === 'number' ? Math.min(msg.timeout, REQUEST_LIMITS.timeoutSeconds) : 0;
      return serveChannelSubscription(ws, this.#engine.subscribeChannel(signer, msg), timeout);
    } catch (error) {
      if (InvalidJsonError.isInstance(error)) throw new RpcError(400, 'Failed to subscribe to channel, invalid JSON');
      throw error;
    }
  }

  #arm(ws: WebSocket, timeoutSeconds: number): void {
    const timer = setTimeout(() => this.#drop(ws), timeoutSeconds * 1000);
    const timers = this.#timers.get(ws) ?? [];
    timers.push(timer);
    this.#timers.set(ws, timers);
  }

  #publish(event: ProcessEvent): void {
    const subscriptions = this.#byProcess.get(event.processid);
    if (subscriptions) {
      for (const subscription of subscriptions) if (subscription.state === event.state) this.#send(subscription.socket, event);
    }
    for (const subscription of this.#byColony) {
      if (
        subscription.state === event.state &&
        subscription.colonyname === event.colonyname &&
        subscription.executortype === event.executortype
      ) {
        this.#send(subscription.socket, event);
      }
    }
  }

  #send(ws: WebSocket, event: ProcessEvent): void {
    if (ws.readyState !== ws.OPEN) return;
    ws.send(
      JSON.stringify({
        payloadtype: 'subscribeprocessmsg',
        payload: Buffer.from(event.json, 'utf8').toString('base64'),
        error: false,
      }),
    );
  }

  #sendError(ws: WebSocket, error: RpcError): void {
    if (ws.readyState !== ws.OPEN) return;
    this.#logger.debug('pubsub error frame', { status: error.status, message: error.message });
    const payload = JSON.stringify({ status: error.status, message: error.message });
    ws.send(JSON.stringify({ payloadtype: 'error', payload: Buffer.from(payload).toString('base64'), error: true }));
  }

  /** Like the Go server: drop the TCP connection without a close frame. */
  #drop(ws: WebSocket): void {
    this.#forget(ws);
    ws.terminate();
  }

  #forget(ws: WebSocket): void {
    for (const timer of this.#timers.get(ws) ?? []) clearTimeout(timer);
    this.#timers.delete(ws);
    for (const [processid, set] of this.#byProcess) {
      for (const subscription of set) if (subscription.socket === ws) set.delete(subscription);
      if (set.size === 0) this.#byProcess.delete(processid);
    }
    for (const subscription of this.#byColony) if (subscription.socket === ws) this.#byColony.delete(subscription);
    this.#waiting.delete(ws);
  }
}
