// The HTTP face (colonies-protocol.md §2): `POST /api` envelopes, `GET
// /health`, CORS, `/pubsub` upgrades; replies are text/plain envelopes with
// the error status mirrored in the HTTP status. Malformed input of any kind
// gets a 4xx with a message; a 500 is only ever an unexpected fault of the
// server (logged) or one of the Go server's own 500 answers (README: quirks).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { type BodyLimits, type BufferedBytes, readBody } from './body-reader';
import type { ColoniesEngine, HandlerResult, RpcReply } from './engine';
import type { Logger } from './logger';
import type { PubSub } from './pubsub';
import { RpcError } from './rpc-error';
import type { SignatureVerifier } from './signature-verifier';

/**
 * How long a refused body (413, 408) may keep arriving — read and discarded,
 * so the client can still read the answer — before the connection is cut.
 */
const REFUSED_BODY_LINGER_MS = 2_000;
/** Answered before any signature check, as by the real server. */
const UNSIGNED = new Set(['versionmsg', 'getserverinfomsg']);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const HEADERS = {
  'Content-Type': 'text/plain; charset=utf-8',
  'Access-Control-Allow-Origin': '*',
};

export interface ApiServer {
  server: Server;
  /** Requests being read or answered (long-polls included). */
  inFlight(): number;
  /** Bytes of request bodies held in memory right now (bounded by the body cap per request). */
  bufferedBodyBytes(): number;
}

function send(res: ServerResponse, status: number, body: string): void {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(status, { ...HEADERS, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function sendReply(res: ServerResponse, reply: RpcReply): void {
  send(
    res,
    200,
    `{"payloadtype":${JSON.stringify(reply.payloadtype)},"payload":"${Buffer.from(reply.json, 'utf8').toString('base64')}","error":false}`,
  );
}

function sendError(res: ServerResponse, error: RpcError): void {
  const payload = Buffer.from(JSON.stringify({ status: error.status, message: error.message })
    .replace(/</g, '\\u003c').replace(/>/g, '\\u003e')).toString('base64');
  send(res, error.status, `{"payloadtype":"error","payload":"${payload}","error":true}`);
}

/**
 * Answers a body that broke a limit. The rest of the body is read and
 * discarded for a short while, then the connection is cut: closing at once
 * would reset it while the client is still sending, and the client would
 * never see the answer.
 */
function refuseBody(req: IncomingMessage, res: ServerResponse, error: RpcError, logger: Logger): void {
  logger.warn('request body refused', { status: error.status, message: error.message });
  sendError(res, error);
  if (req.complete) return;
  req.resume();
  const socket = req.socket;
  const stop = (): void => {
    clearTimeout(cut);
    socket.off('close', stop);
  };
  const cut = setTimeout(() => socket.destroy(), REFUSED_BODY_LINGER_MS);
  cut.unref();
  // The body ended in time: the connection stays usable (keep-alive), with no listener left on it.
  req.once('end', stop);
  socket.once('close', stop);
}

/** Answers CORS preflights, `/health` and unknown paths; true when it did (anything but `POST /api`). */
function answeredWithoutBody(req: IncomingMessage, res: ServerResponse): boolean {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method === 'OPTIONS') {
    res.writeHead(204, {
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
      'Access-Control-Allow-Headers': '*',
    });
    res.end();
    return true;
  }
  if (path === '/health' && (req.method === 'GET' || req.method === 'HEAD')) {
    res.writeHead(200, { 'Access-Control-Allow-Origin': '*', 'Content-Length': 0 });
    res.end();
    return true;
  }
  if (path !== '/api' || req.method !== 'POST') {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('404 page not found');
    return true;
  }
  return false;
}

interface Envelope {
  payloadtype: string;
  payload: string;
  signature: string;
}

/** The envelope's three fields (a field of another type reads as empty); a 400 when the body is no JSON object. */
function parseEnvelope(body: string): Envelope {
  let envelope: unknown;
  try {
    envelope = JSON.parse(body);
    if (envelope === null || typeof envelope !== 'object' || Array.isArray(envelope)) throw new Error('not an object');
  } catch (error) {
    throw new RpcError(400, `invalid envelope: ${(error as Error).message}`);
  }
  const field = (name: string): string => {
    const value: unknown = (envelope as Record<string, unknown>)[name];
    return typeof value === 'string' ? value : '';
  };
  return { payloadtype: field('payloadtype'), payload: field('payload'), signature: field('signature') };
}

function unknownPayloadType(payloadtype: string): RpcError {
  return new RpcError(
    403,
    payloadtype === ''
      ? 'invalid rpcMsg.PayloadType: empty (this usually means the client is misconfigured - check that COLONIES_PRVKEY and other environment variables are set correctly)'
      : `invalid rpcMsg.PayloadType: ${payloadtype}`,
  );
}

/** `POST /api` envelopes: verified, handed to the engine, answered; counts what is in flight. */
class ApiRequests {
  inFlight = 0;
  readonly buffered: BufferedBytes = { bytes: 0 };
  readonly #engine: ColoniesEngine;
  readonly #verifier: SignatureVerifier;
  readonly #logger: Logger;
  readonly #debug: boolean;

  constructor(engine: ColoniesEngine, verifier: SignatureVerifier, logger: Logger) {
    this.#engine = engine;
    this.#verifier = verifier;
    this.#logger = logger;
    this.#debug = logger.enabled?.('debug') ?? true;
  }

  handle(res: ServerResponse, body: string): void {
    const started = performance.now();
    let envelope: Envelope;
    try {
      envelope = parseEnvelope(body);
    } catch (error) {
      sendError(res, toRpcError(error, this.#logger));
      return;
    }
    const finish = (outcome: RpcReply | RpcError): void => this.#finish(res, outcome, envelope.payloadtype, started);
    try {
      const result = this.#run(envelope);
      if (result instanceof Promise) {
        // A long-poll: stop waiting when the client goes away.
        res.on('close', () => this.#engine.abandon(result));
        this.inFlight++;
        result.then(
          (reply) => finish(reply),
          (error: unknown) => finish(toRpcError(error, this.#logger)),
        ).finally(() => this.inFlight--);
      } else {
        finish(result);
      }
    } catch (error) {
      finish(toRpcError(error, this.#logger));
    }
  }

  #run({ payloadtype, payload, signature }: Envelope): HandlerResult {
    const signerId = UNSIGNED.has(payloadtype) ? '' : this.#verifier.recover(payload, signature).id;
    if (!this.#engine.has(payloadtype)) throw unknownPayloadType(payloadtype);
    const payloadText = BASE64.test(payload) && payload.length % 4 === 0 ? Buffer.from(payload, 'base64').toString('utf8') : '\u0000';
    return this.#engine.handle(payloadtype, payloadText, signerId);
  }

  #finish(res: ServerResponse, outcome: RpcReply | RpcError, payloadtype: string, started: number): void {
    try {
      if (RpcError.isInstance(outcome)) sendError(res, outcome);
      else sendReply(res, outcome);
    } catch (error) {
      // e.g. a reply too large to encode: fail this request, not the server.
      sendError(res, toRpcError(error, this.#logger));
    }
    if (this.#debug) {
      this.#logger.debug('rpc', {
        payloadtype,
        status: RpcError.isInstance(outcome) ? outcome.status : 200,
        ms: Math.round((performance.now() - started) * 1000) / 1000,
      });
    }
  }
}

export function createApiServer(
  engine: ColoniesEngine,
  verifier: SignatureVerifier,
  pubsub: PubSub,
  logger: Logger,
  limits: BodyLimits,
): ApiServer {
  const requests = new ApiRequests(engine, verifier, logger);
  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 60_000 }, (req, res) => {
    if (answeredWithoutBody(req, res)) return;
    requests.inFlight++;
    let done = false;
    const settle = (): void => {
      if (!done) {
        done = true;
        requests.inFlight--;
      }
    };
    readBody(req, limits, requests.buffered, {
      onBody: (body) => {
        try {
          requests.handle(res, body.toString('utf8'));
        } catch (error) {
          sendError(res, toRpcError(error, logger));
        } finally {
          settle();
        }
      },
      onRefused: (error) => {
        refuseBody(req, res, error, logger);
        settle();
      },
    });
    req.on('error', settle);
    req.on('close', settle);
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/pubsub') {
      socket.destroy();
      return;
    }
    pubsub.handleUpgrade(req, socket, head);
  });
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    else socket.destroy();
  });
  return { server, inFlight: () => requests.inFlight, bufferedBodyBytes: () => requests.buffered.bytes };
}

function toRpcError(error: unknown, logger: Logger): RpcError {
  if (RpcError.isInstance(error)) return error;
  logger.error('internal error', { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  return new RpcError(500, `internal error: ${error instanceof Error ? error.message : String(error)}`);
}
