// A tiny scripted Colonies server on the loopback server: one process whose
// state and logs a test changes, `getprocessmsg`, `getlogsmsg` with the real
// `since`/`count` semantics and int64 timestamps, and `/pubsub` subscriptions
// that push on state entry and drop the socket at their timeout like v1.9.12.
import type { WebSocket } from 'ws';
import { errorBody, replyBody, type LoopbackServer } from './loopback.test-helpers';
import { parseLosslessJson, stringifyLosslessJson } from './lossless-json';

export interface FakeLog {
  message: string;
  timestamp: bigint;
}

interface Subscriber {
  ws: WebSocket;
  states: Set<number>;
  events: number;
}

export class FakeColonies {
  state = 0;
  readonly processId = 'f'.repeat(64);
  readonly logs: FakeLog[] = [];
  /** Every `since` value received, as exact digits. */
  readonly sinces: string[] = [];
  /** Number of getlogsmsg / getprocessmsg calls. */
  calls = { getlogs: 0, getprocess: 0, subscribe: 0 };
  /** When set, sockets are dropped right after this many events. */
  dropAfterEvents: number | undefined;
  private readonly subscribers = new Set<Subscriber>();
  private nextTs = 1_795_595_019_883_883_083n;

  constructor(server: LoopbackServer) {
    server.onHttp((req, res) => {
      const env = JSON.parse(req.body) as { payloadtype: string; payload: string };
      const json = parseLosslessJson(Buffer.from(env.payload, 'base64').toString('utf8')) as Record<string, unknown>;
      if (env.payloadtype === 'getprocessmsg') {
        this.calls.getprocess++;
        if (json.processid !== this.processId) {
          res.writeHead(404).end(errorBody(404, 'Process not found'));
          return;
        }
        res.writeHead(200).end(replyBody('getprocessmsg', this.processJson()));
        return;
      }
      if (env.payloadtype === 'getlogsmsg') {
        this.calls.getlogs++;
        const since = BigInt(json.since as bigint | number);
        this.sinces.push(since.toString());
        const count = json.count as number;
        const page = this.logs.filter((l) => since <= 0n || l.timestamp > since).slice(0, count);
        const body = page.length === 0 ? 'null' : stringifyLosslessJson(page.map((l) => ({ processid: this.processId, colonyname: 'dev', executorname: 'e', message: l.message, timestamp: l.timestamp })));
        res.writeHead(200).end(replyBody('getlogsmsg', body));
        return;
      }
      res.writeHead(403).end(errorBody(403, `unexpected ${env.payloadtype}`));
    });
    server.onWebSocket((ws) => {
      this.calls.subscribe++;
      const sub: Subscriber = { ws, states: new Set<number>(), events: 0 };
      this.subscribers.add(sub);
      ws.on('close', () => this.subscribers.delete(sub));
      ws.on('message', (data: Buffer) => {
        const env = JSON.parse(data.toString('utf8')) as { payload: string };
        const json = JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8')) as { state: number; timeout: number; processid: string };
        if (json.timeout <= 0) {
          ws.terminate();
          return;
        }
        if (json.processid !== this.processId) {
          ws.send(errorBody(403, `Invalid process with Id ${json.processid}`));
          return;
        }
        sub.states.add(json.state);
        // Drop without a close frame at the timeout, like the real server.
        setTimeout(() => ws.terminate(), json.timeout * 1000).unref();
        if (json.state === this.state) this.push(sub);
      });
    });
  }

  private push(sub: Subscriber): void {
    sub.ws.send(replyBody('subscribeprocessmsg', this.processJson()));
    sub.events++;
    if (this.dropAfterEvents !== undefined && sub.events >= this.dropAfterEvents) setTimeout(() => sub.ws.terminate(), 5);
  }

  processJson(): string {
    return `{\n  "processid": "${this.processId}",\n  "state": ${this.state},\n  "prioritytime": 1795163019745849307,\n  "spec": { "funcname": "execute", "conditions": { "colonyname": "dev", "executortype": "container-executor" } },\n  "attributes": null, "parents": null, "children": null, "in": null, "out": null, "errors": null\n}`;
  }

  setState(state: number): void {
    this.state = state;
    for (const sub of this.subscribers) {
      if (sub.states.has(state)) this.push(sub);
    }
  }

  /** Appends log lines; `sameTimestamp` gives them all one timestamp (the page-boundary case). */
  addLogs(messages: string[], sameTimestamp = false): void {
    if (sameTimestamp) this.nextTs += 1000n;
    for (const message of messages) {
      if (!sameTimestamp) this.nextTs += 1000n + BigInt(Math.floor(Math.random() * 1000));
      this.logs.push({ message, timestamp: this.nextTs });
    }
  }

  closeAllSockets(): void {
    for (const sub of this.subscribers) sub.ws.terminate();
  }
}
