// The HTTP face (colonies-protocol.md §2): `POST /api` envelopes, `GET
// /health`, CORS, `/pubsub` upgrades; replies are text/plain envelopes with
// the error status mirrored in the HTTP status.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ColoniesEngine, RpcReply } from './engine';
import type { Logger } from './logger';
import type { PubSub } from './pubsub';
import { RpcError } from './rpc-error';
import type { SignatureVerifier } from './signature-verifier';

const MAX_BODY_BYTES = 64 * 1024 * 1024;
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
}

export function createApiServer(
  engine: ColoniesEngine,
  verifier: SignatureVerifier,
  pubsub: PubSub,
  logger: Logger,
): ApiServer {
  let inFlight = 0;
  const debug = logger.enabled?.('debug') ?? true;

  const send = (res: ServerResponse, status: number, body: string): void => {
    if (res.writableEnded || res.destroyed) return;
    res.writeHead(status, { ...HEADERS, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  };
  const sendReply = (res: ServerResponse, reply: RpcReply): void => {
    send(
      res,
      200,
      `{"payloadtype":${JSON.stringify(reply.payloadtype)},"payload":"${Buffer.from(reply.json, 'utf8').toString('base64')}","error":false}`,
    );
  };
  const sendError = (res: ServerResponse, error: RpcError): void => {
    const payload = Buffer.from(JSON.stringify({ status: error.status, message: error.message })
      .replace(/</g, '\\u003c').replace(/>/g, '\\u003e')).toString('base64');
    send(res, error.status, `{"payloadtype":"error","payload":"${payload}","error":true}`);
  };

  const handleApi = (req: IncomingMessage, res: ServerResponse, body: string): void => {
    const started = performance.now();
    let envelope: { payloadtype?: unknown; payload?: unknown; signature?: unknown };
    try {
      envelope = JSON.parse(body) as typeof envelope;
      if (envelope === null || typeof envelope !== 'object' || Array.isArray(envelope)) throw new Error('not an object');
    } catch (error) {
      sendError(res, new RpcError(400, `invalid envelope: ${(error as Error).message}`));
      return;
    }
    const payloadtype = typeof envelope.payloadtype === 'string' ? envelope.payloadtype : '';
    const payload = typeof envelope.payload === 'string' ? envelope.payload : '';
    const signature = typeof envelope.signature === 'string' ? envelope.signature : '';
    const finish = (outcome: RpcReply | RpcError): void => {
      if (outcome instanceof RpcError) sendError(res, outcome);
      else sendReply(res, outcome);
      if (debug) {
        logger.debug('rpc', {
          payloadtype,
          status: outcome instanceof RpcError ? outcome.status : 200,
          ms: Math.round((performance.now() - started) * 1000) / 1000,
        });
      }
    };
    try {
      let signerId = '';
      if (!UNSIGNED.has(payloadtype)) {
        signerId = verifier.recover(payload, signature).id;
      }
      if (!engine.has(payloadtype)) {
        throw new RpcError(
          403,
          payloadtype === ''
            ? 'invalid rpcMsg.PayloadType: empty (this usually means the client is misconfigured - check that COLONIES_PRVKEY and other environment variables are set correctly)'
            : `invalid rpcMsg.PayloadType: ${payloadtype}`,
        );
      }
      const payloadText = BASE64.test(payload) && payload.length % 4 === 0 ? Buffer.from(payload, 'base64').toString('utf8') : '\u0000';
      const result = engine.handle(payloadtype, payloadText, signerId);
      if (result instanceof Promise) {
        // A long-poll: stop waiting when the client goes away.
        res.on('close', () => engine.abandon(result));
      }
      if (result instanceof Promise) {
        inFlight++;
        result.then(
          (reply) => finish(reply),
          (error: unknown) => finish(toRpcError(error, logger)),
        ).finally(() => inFlight--);
      } else {
        finish(result);
      }
    } catch (error) {
      finish(toRpcError(error, logger));
    }
  };

  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 60_000 }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'Access-Control-Allow-Origin': '*',
        'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
        'Access-Control-Allow-Headers': '*',
      });
      res.end();
      return;
    }
    if (path === '/health' && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(200, { 'Access-Control-Allow-Origin': '*', 'Content-Length': 0 });
      res.end();
      return;
    }
    if (path !== '/api' || req.method !== 'POST') {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('404 page not found');
      return;
    }
    inFlight++;
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const settle = (): void => {
      if (!done) {
        done = true;
        inFlight--;
      }
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        sendError(res, new RpcError(400, 'request body too large'));
        req.destroy();
        settle();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      try {
        handleApi(req, res, Buffer.concat(chunks).toString('utf8'));
      } finally {
        settle();
      }
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
  return { server, inFlight: () => inFlight };
}

function toRpcError(error: unknown, logger: Logger): RpcError {
  if (error instanceof RpcError) return error;
  logger.error('internal error', { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  return new RpcError(500, error instanceof Error ? error.message : String(error));
}
