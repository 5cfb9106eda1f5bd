// Property-based fuzzing of the HTTP face (issue #13): random envelopes and
// messages with mutated fields — wrong types, integers no double or int64
// holds, deep nesting, unicode, long strings, missing fields — sent over real
// HTTP to a running dev-server always get an answer, always 2xx or 4xx (or
// one of the Go server's own documented 500s, README: quirks), and the server
// keeps serving afterwards. Set FUZZ_SEED to replay a failing run.
import { generatePrivateKey, idOf, sign } from '@pollinator/crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServer, startDevServer } from './index';
import { PAYLOAD_TYPES } from './payload-types.test-helpers';
import { jsonWithRaw, rpc } from './rpc-test-client.test-helpers';

/** A value that JSON.stringify cannot write: inserted into the payload text as is. */
interface RawJson {
  raw: string;
}
type Mutation = { kind: 'delete' } | { kind: 'set'; value: unknown } | { kind: 'raw'; value: RawJson };

/** The 500s the Go server gives for some missing objects (README: "Status codes that look odd"). */
const GO_SERVER_500 = /not found|is nil|does not exist|already exists/;

function nested(depth: number): string {
  return `${'[{"a":'.repeat(depth)}0${'}]'.repeat(depth)}`;
}

const rawNumbers = [
  '9007199254740993', '-9007199254740993', '9223372036854775807', '9223372036854775808', '-9223372036854775809',
  '18446744073709551616', '1e308', '-1e308', '1e-300', '1.5', '2147483648', '7400000000', `1${'0'.repeat(400)}`,
];

const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constant<Mutation>({ kind: 'delete' }),
  fc.constantFrom<unknown>(-7, 'x', true, null, [], {}, [1, 'a'], { a: { b: 1 } }, '', -1, 0).map((value): Mutation => ({ kind: 'set', value })),
  fc.constantFrom(...rawNumbers).map((raw): Mutation => ({ kind: 'raw', value: { raw } })),
  fc.integer({ min: 30, max: 3_000 }).map((depth): Mutation => ({ kind: 'raw', value: { raw: nested(depth) } })),
  fc.string({ unit: 'binary', maxLength: 40 }).map((value): Mutation => ({ kind: 'set', value })),
  fc.string({ unit: 'grapheme', maxLength: 40 }).map((value): Mutation => ({ kind: 'set', value })),
  fc.integer({ min: 1_000, max: 200_000 }).map((length): Mutation => ({ kind: 'set', value: 'é'.repeat(length) })),
  fc.string({ unit: fc.constantFrom('0', '1', '9', 'm', 'G', 'i', 'K', ' ', '-'), maxLength: 30 }).map(
    (value): Mutation => ({ kind: 'set', value }),
  ),
);

function template(processId: string): Record<string, unknown> {
  const capabilities = {
    hardware: [{ model: 'm', nodes: 1, cpu: '1000m', mem: '1Gi', gpu: { name: 'g', count: 1 }, network: ['n'] }],
    software: [{ name: 's', type: 't', version: 'v' }],
  };
  return {
    colonyname: 'dev', processid: processId, executorname: 'dev-executor', executorid: 'e'.repeat(64),
    executortype: 'container-executor', name: 'fuzz', label: '/fuzz', fileid: '', snapshotid: '', attributeid: '',
    functionid: '', message: 'hello', text: 'hello', initiator: '', count: 5, state: 0, timeout: -1, since: 0,
    days: 1, latest: false, exact: false, out: ['x', { b: 1, a: 2 }], errors: ['e'], availablecpu: '1000m',
    availablemem: '1Gi', capabilities,
    spec: {
      funcname: 'f', nodename: 'n', maxexectime: -1, maxwaittime: -1, maxretries: 1, priority: 1, label: '/fuzz',
      args: ['a', 1], kwargs: { b: [1, { c: 2 }], a: 'x' }, env: { A: 'b' }, channels: ['c'],
      conditions: {
        colonyname: 'dev', executortype: 'container-executor', executornames: ['dev-executor'], cpu: '100m',
        mem: '1Gi', storage: '', walltime: 60, nodes: 1, processes: 1, processespernode: 1,
        gpu: { name: 'g', mem: '1Gi', count: 1, nodecount: 1 }, dependencies: [],
      },
      fs: {
        mount: '/cfs',
        snapshots: [{ snapshotid: 's', label: '/l', dir: '/d', keepfiles: true, keepsnapshot: true }],
        dirs: [{ label: '/l', dir: '/d', keepfiles: false, onconflicts: { onstart: { keeplocal: true }, onclose: { keeplocal: false } } }],
      },
    },
    file: {
      colonyname: 'dev', label: '/fuzz', name: 'f', size: 1, checksum: 'c', checksumalg: 'sha256',
      ref: { protocol: 's3', s3object: { server: 's', port: 9000, tls: false, bucket: 'b', object: 'o' } },
    },
    attribute: { targetid: processId, attributetype: 0, key: 'k', value: 'v', state: 1 },
    executor: {
      colonyname: 'dev', executorid: 'f'.repeat(64), executorname: 'fuzz-executor', executortype: 't',
      requirefuncreg: false, blueprintgen: 1, capabilities, allocations: { projects: { p: { allocatedcpu: 1, usedgpu: 2 } } },
    },
    fun: { colonyname: 'dev', executorname: 'dev-executor', funcname: 'f', description: 'd', args: [{ name: 'a' }] },
    user: { colonyname: 'dev', userid: 'a'.repeat(64), name: 'u', email: 'e', phone: 'p' },
    colony: { colonyid: 'b'.repeat(64), name: 'fuzz-colony' },
  };
}

/** Every path into the template (objects and arrays included), computed without recursion. */
function pathsOf(value: unknown): (string | number)[][] {
  const paths: (string | number)[][] = [];
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: current, path } = stack.pop()!;
    if (path.length > 0) paths.push(path);
    if (current !== null && typeof current === 'object') {
      for (const [key, member] of Object.entries(current)) {
        stack.push({ value: member, path: [...path, Array.isArray(current) ? Number(key) : key] });
      }
    }
  }
  return paths;
}

function applyMutation(target: Record<string, unknown>, path: (string | number)[], mutation: Mutation, raw: Map<string, string>): void {
  let parent: unknown = target;
  for (const key of path.slice(0, -1)) {
    if (parent === null || typeof parent !== 'object') return;
    parent = (parent as Record<string | number, unknown>)[key];
  }
  if (parent === null || typeof parent !== 'object') return;
  const container = parent as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (mutation.kind === 'delete') delete container[last];
  else if (mutation.kind === 'set') container[last] = structuredClone(mutation.value);
  else {
    const placeholder = `@@raw-${raw.size}@@`;
    raw.set(placeholder, mutation.value.raw);
    container[last] = placeholder;
  }
}

describe('request fuzzing (issue #13)', () => {
  let server: DevServer;
  let processId: string;
  let paths: (string | number)[][];

  beforeAll(async () => {
    server = await startDevServer();
    const submitted = await rpc(server.url, server.identities.user.privateKey)('submitfuncspecmsg', {
      spec: { funcname: 'f', maxexectime: -1, maxwaittime: -1, conditions: { colonyname: 'dev', executortype: 'container-executor' } },
    });
    processId = submitted.json.processid as string;
    await rpc(server.url, server.identities.executor.privateKey)('assignprocessmsg', { colonyname: 'dev', timeout: -1 });
    paths = pathsOf(template(processId));
  });
  afterAll(async () => {
    await server?.close();
  });

  /** Sends one body; returns the status and error message, failing on a dropped connection. */
  async function send(body: string): Promise<{ status: number; message: string }> {
    const response = await fetch(`${server.url}/api`, { method: 'POST', body });
    const text = await response.text();
    const reply = JSON.parse(text) as { payload: string; error: boolean };
    const decoded = reply.error ? (JSON.parse(Buffer.from(reply.payload, 'base64').toString('utf8')) as { message: string }) : null;
    return { status: response.status, message: decoded?.message ?? '' };
  }

  function expectAcceptable(reply: { status: number; message: string }, what: string): void {
    if (reply.status >= 500) {
      expect(reply.status, `${what}: ${reply.message}`).toBe(500);
      expect(reply.message, what).not.toMatch(/^internal error/);
      expect(reply.message, what).toMatch(GO_SERVER_500);
    } else {
      expect(reply.status, what).toBeGreaterThanOrEqual(200);
    }
  }

  it('answers random messages with mutated fields with 2xx or 4xx, and keeps serving', { timeout: 120_000 }, async () => {
    const signers = () => ({
      user: server.identities.user.privateKey,
      executor: server.identities.executor.privateKey,
      stranger: generatePrivateKey(),
    });
    const caseArbitrary = fc.record({
      payloadtype: fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...PAYLOAD_TYPES) }, { weight: 1, arbitrary: fc.string({ maxLength: 20 }) }),
      mutations: fc.array(fc.tuple(fc.nat(), mutationArbitrary), { maxLength: 4 }),
      // Mostly members, so that most cases reach the handlers.
      signer: fc.oneof(
        { weight: 4, arbitrary: fc.constant('user' as const) },
        { weight: 4, arbitrary: fc.constant('executor' as const) },
        { weight: 1, arbitrary: fc.constantFrom('stranger', 'bad-signature', 'no-signature' as const) },
      ),
      msgtypeMatches: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    });
    await fc.assert(
      fc.asyncProperty(caseArbitrary, async ({ payloadtype, mutations, signer, msgtypeMatches }) => {
        const msg = template(processId);
        const raw = new Map<string, string>();
        for (const [index, mutation] of mutations) applyMutation(msg, paths[index % paths.length]!, mutation, raw);
        msg.msgtype = msgtypeMatches ? payloadtype : `${payloadtype}x`;
        const payloadText = jsonWithRaw(msg, Object.fromEntries(raw));
        const payload = Buffer.from(payloadText).toString('base64');
        const keys = signers();
        const signature =
          signer === 'bad-signature' ? 'ab'.repeat(65) : signer === 'no-signature' ? '' : sign(payload, keys[signer]);
        const reply = await send(JSON.stringify({ payloadtype, payload, signature }));
        expectAcceptable(reply, `${payloadtype} ${JSON.stringify(mutations).slice(0, 300)}`);
      }),
      { numRuns: 300, seed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined },
    );
    await expectStillServing();
  });

  it('answers random envelopes and bodies with 4xx, and keeps serving', { timeout: 60_000 }, async () => {
    const bodyArbitrary = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.json({ maxDepth: 6 }),
      fc.record(
        { payloadtype: fc.oneof(fc.constantFrom(...PAYLOAD_TYPES), fc.anything()), payload: fc.oneof(fc.base64String(), fc.anything()), signature: fc.oneof(fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), maxLength: 140 }), fc.anything()) },
        { requiredKeys: [] },
      ).map((value) => JSON.stringify(value) ?? 'null'),
      fc.integer({ min: 100, max: 20_000 }).map((depth) => nested(depth)),
    );
    await fc.assert(
      fc.asyncProperty(bodyArbitrary, async (body) => {
        expectAcceptable(await send(body), body.slice(0, 200));
      }),
      { numRuns: 200, seed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined },
    );
    await expectStillServing();
  });

  async function expectStillServing(): Promise<void> {
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    const { user, colony } = server.identities;
    const reply = await rpc(server.url, user.privateKey)('getcolonymsg', { colonyname: colony.name });
    expect(reply.status).toBe(200);
    expect(reply.json.colonyid).toBe(idOf(server.identities.colony.privateKey));
  }
});
