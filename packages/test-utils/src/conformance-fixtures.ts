// Loader for the recorded Colonies v1.9.12 exchanges in `fixtures/rpc/*.json`
// (format: `fixtures/README.md`). Parsing is lossless: int64 values such as
// `prioritytime`, log `timestamp` and `since` are `bigint` when they exceed
// 2^53, with the exact recorded digits.
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseLosslessJson, type LosslessJsonValue } from './lossless-json';

/** Absolute path of the directory holding the recorded `*.json` exchanges. */
export const conformanceFixturesDir: string = fileURLToPath(new URL('../fixtures/rpc/', import.meta.url));

export type FixtureRole =
  | 'server-owner'
  | 'colony-owner'
  | 'user'
  | 'executor'
  | 'executor2'
  | 'executor3'
  | 'outsider'
  | 'none'
  | (string & {});

export interface FixtureIdentity {
  id: string;
  prvkey: string;
  name?: string;
  role?: string;
}

export interface FixtureBinding {
  /** Path in the request payload JSON (`$.processid`). */
  path: string;
  from: { step: number; name: string; path: string; file?: string };
  match?: string;
}

export interface FixtureHttpRequest {
  payloadtype?: string;
  payloadJson?: Record<string, LosslessJsonValue> | null;
  payload?: string;
  signature?: string;
  /** Only when the HTTP body was not the plain envelope. */
  body?: string;
  /** Only when payloadJson is null (invalid JSON on purpose). */
  payloadText?: string;
  /** Only for non-RPC steps (default POST /api). */
  http?: { method: string; path: string; upgrade?: string };
}

export interface FixtureHttpResponse {
  httpStatus: number;
  contentType?: string;
  rawBody: string;
  payloadtype?: string;
  error?: boolean;
  payloadJson?: LosslessJsonValue;
}

export interface FixtureHttpStep {
  kind?: undefined;
  name: string;
  signer: FixtureRole;
  note?: string;
  source?: string;
  request: FixtureHttpRequest;
  bindings?: FixtureBinding[];
  requestVolatile?: string[];
  response: FixtureHttpResponse;
  volatile?: string[];
  unordered?: string[];
  elapsedMs?: number;
  waitedBeforeMs?: number;
  redacted?: boolean;
}

export interface FixtureWsFrameSent {
  atMs: number;
  signer: FixtureRole;
  payloadtype: string;
  payloadJson: Record<string, LosslessJsonValue>;
  payload: string;
  signature: string;
  bindings?: FixtureBinding[];
}

export interface FixtureWsFrameReceived {
  atMs: number;
  afterStep?: string;
  rawText: string;
  payloadtype: string;
  error: boolean;
  payloadJson: LosslessJsonValue;
  volatile?: string[];
  unordered?: string[];
}

export interface FixtureWsClose {
  atMs: number;
  closedBy: 'server' | 'client';
  code: number;
  reason: string;
  closeFrameReceived: boolean;
  afterStep?: string;
}

export interface FixtureWebSocketStep {
  kind: 'websocket';
  name: string;
  signer: FixtureRole;
  note?: string;
  request: { http: { method: string; path: string; upgrade?: string }; frames: FixtureWsFrameSent[] };
  response: { httpStatus: number; frames: FixtureWsFrameReceived[]; close?: FixtureWsClose; openedAtMs?: number };
}

export type FixtureStep = FixtureHttpStep | FixtureWebSocketStep;

export interface ConformanceFixture {
  /** File name, e.g. `02-submit-assign-close.json`. */
  file: string;
  scenario: string;
  server: string;
  serverConfig: Record<string, LosslessJsonValue>;
  notes?: string;
  dependsOn?: string[];
  identities: Record<string, FixtureIdentity>;
  run: { colony: string; recordedAt?: string };
  steps: FixtureStep[];
}

/** File names of all recorded exchanges, in recording order. */
export function listConformanceFixtureFiles(): string[] {
  return readdirSync(conformanceFixturesDir)
    .filter((f) => f.endsWith('.json'))
    .sort();
}

const cache = new Map<string, ConformanceFixture>();

/** Loads one fixture file (losslessly). The result is shared: do not mutate it (use `structuredClone`). */
export function loadConformanceFixture(file: string): ConformanceFixture {
  const name = file.endsWith('.json') ? file : `${file}.json`;
  let fx = cache.get(name);
  if (!fx) {
    const text = readFileSync(new URL(name, new URL('../fixtures/rpc/', import.meta.url)), 'utf8');
    fx = { file: name, ...(parseLosslessJson(text) as object) } as ConformanceFixture;
    cache.set(name, fx);
  }
  return fx;
}

/**
 * Loads one of the later recordings in `fixtures/rpc-v1.9.12-extra/` (12
 * channels, 13 statistics: self-contained, not part of the 01–11 sequence;
 * format extensions in that directory's README).
 */
export function loadExtraConformanceFixture(file: string): ConformanceFixture {
  const name = file.endsWith('.json') ? file : `${file}.json`;
  const key = `extra/${name}`;
  let fx = cache.get(key);
  if (!fx) {
    const text = readFileSync(new URL(name, new URL('../fixtures/rpc-v1.9.12-extra/', import.meta.url)), 'utf8');
    fx = { file: name, ...(parseLosslessJson(text) as object) } as ConformanceFixture;
    cache.set(key, fx);
  }
  return fx;
}

/** Loads all fixture files in recording order (01 … 11). */
export function loadConformanceFixtures(): ConformanceFixture[] {
  return listConformanceFixtureFiles().map((f) => loadConformanceFixture(f));
}

export function isWebSocketStep(step: FixtureStep): step is FixtureWebSocketStep {
  return step.kind === 'websocket';
}

/** Finds a step by name (the first with that name) in a fixture file. */
export function findFixtureStep(file: string, name: string): FixtureStep {
  const step = loadConformanceFixture(file).steps.find((s) => s.name === name);
  if (!step) throw new Error(`no step named ${JSON.stringify(name)} in ${file}`);
  return step;
}

/** Resolves a binding's source value: `from.path` relative to the referenced step. */
export function resolveFixtureBinding(currentFile: string, binding: FixtureBinding): LosslessJsonValue | undefined {
  const file = binding.from.file ?? currentFile;
  const step = loadConformanceFixture(file).steps[binding.from.step];
  if (!step) throw new Error(`binding refers to missing step ${binding.from.step} in ${file}`);
  return getJsonPath(step, `$.${binding.from.path}`);
}

/** A key, an index, or the string `'*'` for `[*]`. */
type PathSegment = string | number;
const WILDCARD = '*';

/** Splits `$.a.b[0][*]` (or `a.b[0]`) into segments. */
export function parseJsonPath(path: string): PathSegment[] {
  const out: PathSegment[] = [];
  const re = /\.([^.[\]]+)|\[(\d+|\*)\]|^([^.[\]$][^.[\]]*)/g;
  const body = path.startsWith('$') ? path.slice(1) : path;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(body)) !== null) {
    if (m.index !== consumed) break;
    consumed = re.lastIndex;
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(m[2] === '*' ? WILDCARD : Number(m[2]));
    else if (m[3] !== undefined) out.push(m[3]);
  }
  if (consumed !== body.length) throw new Error(`unsupported JSON path ${JSON.stringify(path)}`);
  return out;
}

/** Reads a value at a path (`[*]` not allowed here). */
export function getJsonPath(value: unknown, path: string): LosslessJsonValue | undefined {
  let cur: unknown = value;
  for (const seg of parseJsonPath(path)) {
    if (seg === WILDCARD) throw new Error('getJsonPath: [*] is not supported');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur as LosslessJsonValue | undefined;
}

/** Writes a value at a path, in place (`[*]` not allowed). */
export function setJsonPath(target: unknown, path: string, newValue: unknown): void {
  const segs = parseJsonPath(path);
  if (segs.length === 0) throw new Error('setJsonPath: cannot replace the root');
  let cur: unknown = target;
  for (const seg of segs.slice(0, -1)) {
    if (seg === WILDCARD || cur === null || typeof cur !== 'object') throw new Error(`setJsonPath: cannot walk ${path}`);
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  const last = segs[segs.length - 1]!;
  if (last === WILDCARD || cur === null || typeof cur !== 'object') throw new Error(`setJsonPath: cannot set ${path}`);
  (cur as Record<string | number, unknown>)[last] = newValue;
}

/** Deletes every value matching a path with `[*]` wildcards (used to drop `volatile` fields before comparing). */
export function deleteJsonPath(target: unknown, path: string): void {
  const segs = parseJsonPath(path);
  const walk = (cur: unknown, i: number): void => {
    if (cur === null || typeof cur !== 'object') return;
    const seg = segs[i]!;
    const last = i === segs.length - 1;
    const keys: (string | number)[] =
      seg === WILDCARD ? (Array.isArray(cur) ? cur.map((_, k) => k) : Object.keys(cur)) : [seg];
    for (const k of keys) {
      if (last) {
        if (Array.isArray(cur)) (cur as unknown[])[k as number] = undefined;
        else delete (cur as Record<string, unknown>)[k];
      } else walk((cur as Record<string | number, unknown>)[k], i + 1);
    }
  };
  if (segs.length > 0) walk(target, 0);
}

/** Decodes a base64 payload and parses it losslessly. */
export function decodeFixturePayload(payloadBase64: string): LosslessJsonValue {
  return parseLosslessJson(Buffer.from(payloadBase64, 'base64').toString('utf8'));
}
