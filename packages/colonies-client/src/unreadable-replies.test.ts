// Issue #13 case 9: replies a client cannot or must not read in full. A huge
// string is read; a process nested too deep becomes an UnreadableProcessError
// with its id (assign, getProcess, one element of a listing) instead of
// breaking everything; a reply over maxReplyBytes is refused unread.
import { generatePrivateKey } from '@pollinator/crypto';
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ColoniesClient } from './client';
import { createColoniesClient } from './create-client';
import { ColoniesBadReplyError, ColoniesReplyTooLargeError, UnreadableProcessError } from './errors';
import { decodeRequest, replyBody, startLoopbackServer, type LoopbackServer } from './loopback.test-helpers';
import { createNodeFetch, readReplyBody, type FetchLike } from './transport';

const MiB = 1024 * 1024;
const ID_GOOD = 'a'.repeat(64);
const ID_DEEP = 'b'.repeat(64);
const ID_OTHER = 'c'.repeat(64);

function processJson(id: string, kwargs = '{}', extra = ''): string {
  return `{"processid":"${id}","state":0,"prioritytime":1795163019745849307,${extra}"spec":{"funcname":"execute","kwargs":${kwargs},"conditions":{"colonyname":"dev","executortype":"container-executor"}},"attributes":null,"parents":null,"children":null,"in":null,"out":null,"errors":null}`;
}

/** kwargs nested `depth` levels deep, with a decoy `processid` inside. */
function deepKwargs(depth: number): string {
  return `{"processid":"${ID_OTHER}","x":${'['.repeat(depth)}${']'.repeat(depth)}}`;
}

let server: LoopbackServer;
let client: ColoniesClient;
/** payloadtype → reply payload JSON. */
let replies: Record<string, string>;
/** Send replies chunked, without Content-Length (the cap must then apply while streaming). */
let chunked = false;

beforeAll(async () => {
  server = await startLoopbackServer();
  server.onHttp((request, res: ServerResponse) => {
    const { payloadtype } = decodeRequest(request.body);
    const payload = replies[payloadtype];
    if (payload === undefined) res.writeHead(500).end('no reply scripted');
    else if (payload === 'CUT') {
      res.writeHead(200, { 'content-length': '100000' });
      res.write('{"payloadtype":"x","payload":"', () => res.socket?.destroy());
    } else if (!chunked) res.writeHead(200).end(replyBody(payloadtype, payload));
    else {
      const body = replyBody(payloadtype, payload);
      res.writeHead(200);
      for (let at = 0; at < body.length; at += 256 * 1024) res.write(body.slice(at, at + 256 * 1024));
      res.end();
    }
  });
  client = createColoniesClient({ url: server.url, privateKey: generatePrivateKey(), colonyName: 'dev', retry: false });
});
afterAll(async () => server.close());

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('a 9 MB string in a process', () => {
  it('is read by submit, getProcess, assign and listings', async () => {
    const kwargs = JSON.stringify({ blob: 'z'.repeat(9 * MiB) });
    const payload = processJson(ID_GOOD, kwargs);
    replies = { submitfuncspecmsg: payload, getprocessmsg: payload, assignprocessmsg: payload, getprocessesmsg: `[${payload},${processJson(ID_OTHER)}]` };
    const submitted = await client.submit({ funcname: 'execute', conditions: { executortype: 'container-executor' } });
    expect(submitted.processid).toBe(ID_GOOD);
    expect(submitted.prioritytime).toBe(1795163019745849307n);
    expect((submitted.spec.kwargs.blob as string).length).toBe(9 * MiB);
    expect((await client.getProcess(ID_GOOD)).spec.kwargs.blob).toBe(submitted.spec.kwargs.blob);
    expect((await client.assign({ timeout: -1 }))?.processid).toBe(ID_GOOD);
    expect((await client.getProcesses()).map((p) => p.processid)).toEqual([ID_GOOD, ID_OTHER]);
  });
});

describe('a process nested deeper than the parser allows', () => {
  const deep = processJson(ID_DEEP, deepKwargs(10_000));

  it('assign throws UnreadableProcessError with the processid recovered from the raw text (not the decoy in kwargs)', async () => {
    replies = { assignprocessmsg: deep };
    const error = await rejection(client.assign({ timeout: -1 }));
    expect(UnreadableProcessError.isInstance(error)).toBe(true);
    const unreadable = error as UnreadableProcessError;
    expect(unreadable.code).toBe('UNREADABLE_PROCESS');
    expect(unreadable.processId).toBe(ID_DEEP);
    expect(unreadable.payloadtype).toBe('assignprocessmsg');
    expect(unreadable.retryable).toBe(false);
    expect(unreadable.reason).toMatch(/deeper than 512/);
  });

  it('assign of a process whose id comes after the deep part still recovers it; without an id, processId is undefined', async () => {
    replies = { assignprocessmsg: `{"spec":{"kwargs":${deepKwargs(2000)}},"processid":"${ID_DEEP}"}` };
    expect(((await rejection(client.assign({ timeout: -1 }))) as UnreadableProcessError).processId).toBe(ID_DEEP);
    replies = { assignprocessmsg: `{"spec":{"kwargs":${deepKwargs(2000)}}}` };
    const error = await rejection(client.assign({ timeout: -1 }));
    expect(UnreadableProcessError.isInstance(error)).toBe(true);
    expect((error as UnreadableProcessError).processId).toBeUndefined();
    replies = { assignprocessmsg: '[1,2]' };
    expect((await rejection(client.assign({ timeout: -1 }))) as UnreadableProcessError).toMatchObject({ code: 'UNREADABLE_PROCESS', reason: 'expected a JSON object, got an array' });
  });

  it('getProcess and submit throw it too (after submit the process exists: the error names it)', async () => {
    replies = { getprocessmsg: deep, submitfuncspecmsg: deep };
    const error = await rejection(client.getProcess(ID_DEEP));
    expect(error).toBeInstanceOf(UnreadableProcessError);
    expect((error as UnreadableProcessError).processId).toBe(ID_DEEP);
    const submitted = await rejection(client.submit({ funcname: 'execute', conditions: { executortype: 'container-executor' } }));
    expect(submitted).toMatchObject({ code: 'UNREADABLE_PROCESS', processId: ID_DEEP, payloadtype: 'submitfuncspecmsg' });
  });

  it('a listing with one such element gives the readable ones and reports the other (getProcessListing)', async () => {
    replies = { getprocessesmsg: `[${processJson(ID_GOOD)}, ${deep} ,${processJson(ID_OTHER)}, 42]`, getprocesshistmsg: `[${deep}]` };
    const listing = await client.getProcessListing({ state: 1 });
    expect(listing.processes.map((p) => p.processid)).toEqual([ID_GOOD, ID_OTHER]);
    expect(listing.processes[0]!.prioritytime).toBe(1795163019745849307n);
    expect(listing.unreadable.map((e) => [e.processId, e.code])).toEqual([
      [ID_DEEP, 'UNREADABLE_PROCESS'],
      [undefined, 'UNREADABLE_PROCESS'],
    ]);
    expect(listing.unreadable[1]!.reason).toBe('expected a JSON object, got number');
    // getProcesses keeps "a complete list or a typed error": it names the first unreadable one.
    expect(((await rejection(client.getProcesses({ state: 1 }))) as UnreadableProcessError).processId).toBe(ID_DEEP);
    expect(((await rejection(client.getProcessHistory({ state: 2, seconds: 60 }))) as UnreadableProcessError).processId).toBe(ID_DEEP);
  });

  it('a listing that is not an array at all is still a bad reply', async () => {
    replies = { getprocessesmsg: `{"a":${'['.repeat(1000)}` };
    expect(await rejection(client.getProcessListing())).toBeInstanceOf(ColoniesBadReplyError);
    replies = { getprocessesmsg: '{"a":1}' };
    expect(await rejection(client.getProcessListing())).toBeInstanceOf(ColoniesBadReplyError);
    replies = { getprocessesmsg: 'null' };
    expect(await client.getProcessListing()).toEqual({ processes: [], unreadable: [] });
  });

  it('other replies nested too deep are a bad reply naming the depth', async () => {
    replies = { getcolonymsg: `{"name":${'['.repeat(600)}${']'.repeat(600)}}` };
    const error = await rejection(client.getColony());
    expect(error).toBeInstanceOf(ColoniesBadReplyError);
    expect((error as Error).message).toMatch(/deeper than 512/);
  });
});

describe('maxReplyBytes', () => {
  const big = () => processJson(ID_GOOD, JSON.stringify({ blob: 'q'.repeat(3 * MiB) }));
  const fetches: Array<[string, FetchLike | undefined]> = [
    ['the global fetch', undefined],
    ['createNodeFetch', createNodeFetch()],
    [
      'a fetch without a body stream',
      async (url, init) => {
        const response = await fetch(url, init);
        return { status: response.status, statusText: response.statusText, text: () => response.text() };
      },
    ],
  ];

  for (const [name, fetchFunction, isChunked] of fetches.flatMap(([n, f]) => [[n, f, false], [`${n}, chunked`, f, true]] as const)) {
    it(`refuses a larger reply with ColoniesReplyTooLargeError (${name}), never retried`, async () => {
      replies = { getprocessmsg: big() };
      chunked = isChunked;
      const before = server.requests.length;
      const small = createColoniesClient({
        url: server.url,
        privateKey: generatePrivateKey(),
        maxReplyBytes: 2 * MiB,
        ...(fetchFunction === undefined ? {} : { fetch: fetchFunction }),
      });
      const error = await rejection(small.getProcess(ID_GOOD));
      expect(ColoniesReplyTooLargeError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ code: 'COLONIES_REPLY_TOO_LARGE', limitBytes: 2 * MiB, payloadtype: 'getprocessmsg', retryable: false });
      expect(server.requests.length - before).toBe(1);
      // The same client reads a reply under its cap.
      replies = { getprocessmsg: processJson(ID_GOOD) };
      expect((await small.getProcess(ID_GOOD)).processid).toBe(ID_GOOD);
      chunked = false;
    });
  }

  it('a body cut off after the headers is a network error with createNodeFetch and the global fetch', async () => {
    replies = { addlogmsg: 'CUT' };
    for (const fetchFunction of [createNodeFetch(), undefined]) {
      const cut = createColoniesClient({ url: server.url, privateKey: generatePrivateKey(), ...(fetchFunction === undefined ? {} : { fetch: fetchFunction }) });
      const error = await rejection(cut.addLog(ID_GOOD, 'x'));
      expect(error).toMatchObject({ code: 'COLONIES_NETWORK_ERROR', mayHaveBeenSent: true });
    }
  });

  it('defaults to 64 MiB (a 20 MB reply passes) and refuses nonsense caps', async () => {
    replies = { getprocessmsg: processJson(ID_GOOD, JSON.stringify({ blob: 'w'.repeat(20 * MiB) })) };
    expect(((await client.getProcess(ID_GOOD)).spec.kwargs.blob as string).length).toBe(20 * MiB);
    for (const maxReplyBytes of [0, 10, 1.5, 2 ** 40]) {
      expect(() => createColoniesClient({ url: server.url, maxReplyBytes })).toThrow(/maxReplyBytes/);
    }
  });
});

describe('readReplyBody', () => {
  it('stops pulling a streamed body as soon as it passes the cap, and trusts a Content-Length over it', async () => {
    let pulled = 0;
    let closed = false;
    async function* chunks(): AsyncGenerator<Uint8Array> {
      try {
        for (;;) {
          pulled++;
          yield new Uint8Array(1000);
        }
      } finally {
        closed = true;
      }
    }
    const text = () => Promise.reject(new Error('not used'));
    const error = await rejection(readReplyBody({ status: 200, statusText: 'OK', text, body: chunks() }, 4500, 'getprocessmsg'));
    expect(ColoniesReplyTooLargeError.isInstance(error)).toBe(true);
    expect(pulled).toBe(5);
    expect(closed).toBe(true);
    const declared = { status: 200, statusText: 'OK', text, body: chunks(), headers: { get: () => '999999' } };
    expect(ColoniesReplyTooLargeError.isInstance(await rejection(readReplyBody(declared, 4500, 'x')))).toBe(true);
    const utf8 = new TextEncoder().encode('å'.repeat(10));
    async function* one(): AsyncGenerator<Uint8Array> {
      yield utf8.slice(0, 3);
      yield utf8.slice(3);
    }
    await expect(readReplyBody({ status: 200, statusText: 'OK', text, body: one() }, 20, 'x')).resolves.toBe('å'.repeat(10));
  });
});

describe('/pubsub frames', () => {
  async function firstEvent(subscriber: ColoniesClient): Promise<unknown> {
    try {
      for await (const event of subscriber.subscribeProcess(ID_DEEP, { states: [2], timeoutSeconds: 5 })) return event;
    } catch (error) {
      return error;
    }
    return 'ended quietly';
  }

  it('a frame with an undecodable process ends the subscription with UnreadableProcessError', async () => {
    server.onWebSocket((socket) => socket.once('message', () => socket.send(replyBody('subscribeprocessmsg', processJson(ID_DEEP, deepKwargs(3000))))));
    const error = await firstEvent(client);
    expect(UnreadableProcessError.isInstance(error)).toBe(true);
    expect((error as UnreadableProcessError).processId).toBe(ID_DEEP);
  });

  it('a frame over maxReplyBytes ends it with ColoniesReplyTooLargeError, not quietly', async () => {
    server.onWebSocket((socket) => socket.once('message', () => socket.send(replyBody('subscribeprocessmsg', processJson(ID_DEEP, JSON.stringify({ b: 'x'.repeat(MiB) }))))));
    const small = createColoniesClient({ url: server.url, privateKey: generatePrivateKey(), colonyName: 'dev', maxReplyBytes: 64 * 1024 });
    const error = await firstEvent(small);
    expect(ColoniesReplyTooLargeError.isInstance(error)).toBe(true);
    server.onWebSocket(undefined);
  });
});
