import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { ALLOWED, projectSchema, type ProjectYaml, type ResultDownloadPolicy, type SymlinkPolicy } from './project-schema';
import { ProjectConfigError, type ProjectIssue } from './project-issues';

/** A project, validated, with defaults applied and keys in TypeScript style. */
export interface Project {
  /** `projectname`: CFS labels are `/pollinator/<projectName>/…`. */
  projectName: string;
  conditions: {
    executorNames: string[];
    executorType: string;
    nodes: number;
    processesPerNode: number;
    /** Millicores, `"1000m"`. */
    cpu: string;
    /** `"1000Mi"` / `"4Gi"`. */
    mem: string;
    /** Seconds. */
    walltime: number;
    gpu: { count: number; name: string };
  };
  environment: {
    docker: string;
    rebuildImage: boolean;
    /** `init-cmd`; '' when unset. */
    initCmd: string;
    cmd: string;
    /** Entry file relative to `cfs/src`; undefined when unset. */
    source: string | undefined;
    /** Extra job environment (values already strings). */
    env: Record<string, string>;
  };
  slurm: { account?: string; partition?: string; qos?: string };
  retries: number;
  result: { download: ResultDownloadPolicy };
  /** `sync.symlinks`: what happens to symlinks in cfs/src and cfs/data (default `skip`). */
  sync: { symlinks: SymlinkPolicy };
  tunnel?: { port: number; localPort: number };
}

export type ParseProjectResult =
  | { ok: true; project: Project; warnings: ProjectIssue[] }
  | { ok: false; issues: ProjectIssue[]; warnings: ProjectIssue[] };

export interface ParseProjectOptions {
  /** Name used in issue locations. Default `project.yaml`. */
  file?: string;
}

/** The file every project has at its root. */
export const PROJECT_FILE = 'project.yaml';

type PathSegment = string | number;

/**
 * Parse and validate project.yaml text. Never throws for bad input: every YAML
 * and schema problem is returned at once, each with line, column, field path,
 * what was found and what is allowed.
 */
export function parseProject(text: string, options: ParseProjectOptions = {}): ParseProjectResult {
  const file = options.file ?? PROJECT_FILE;
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => {
    const position = lineCounter.linePos(offset);
    return { line: position.line, column: position.col };
  };

  const warnings: ProjectIssue[] = document.warnings.map((warning) => ({
    file,
    ...at(warning.pos[0]),
    path: '',
    code: 'warning',
    message: warning.message,
  }));

  if (document.errors.length > 0) {
    const issues: ProjectIssue[] = document.errors.map((error) => ({
      file,
      ...at(error.pos[0]),
      path: '',
      code: 'yaml',
      message: `YAML syntax error: ${error.message.split('\n')[0] ?? error.message}`,
    }));
    return { ok: false, issues, warnings };
  }

  coerceLikeGo(document, text);
  const data: unknown = document.toJS();
  const parsed = projectSchema.safeParse(data ?? undefined);
  if (!parsed.success) {
    const locator = new Locator(document, at);
    const issues = parsed.error.issues
      .flatMap((issue) => toProjectIssues(issue, data, locator, file))
      .sort((a, b) => a.line - b.line || a.column - b.column);
    return { ok: false, issues, warnings };
  }

  const project = normalize(parsed.data);
  if (project.environment.source === undefined) {
    const location = new Locator(document, at).locate(['environment'], 'key');
    warnings.push({
      file,
      ...location,
      path: 'environment.source',
      code: 'warning',
      message: 'environment.source is not set: the job runs cmd without a source file',
    });
  }
  return { ok: true, project, warnings };
}

export interface LoadedProject {
  /** Absolute or caller-relative project directory. */
  dir: string;
  project: Project;
  warnings: ProjectIssue[];
}

/**
 * Read `<dir>/project.yaml`, validate it, and check what it points at
 * (`environment.source` must exist in `cfs/src`). Throws `ProjectConfigError`
 * listing every problem.
 */
export async function loadProject(dir: string, options: ParseProjectOptions = {}): Promise<LoadedProject> {
  const file = options.file ?? PROJECT_FILE;
  let text: string;
  try {
    text = await readFile(join(dir, file), 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new ProjectConfigError(
      [
        {
          file,
          line: 1,
          column: 1,
          path: '',
          code: 'missing_file',
          message: missing
            ? `${file} not found in ${dir} (create one with \`pollinator new\`)`
            : `${file} cannot be read: ${(error as Error).message}`,
        },
      ],
      { cause: error },
    );
  }
  const result = parseProject(text, { file });
  if (!result.ok) throw new ProjectConfigError(result.issues);

  const { source } = result.project.environment;
  if (source !== undefined) {
    const sourcePath = join(dir, 'cfs', 'src', source);
    const exists = await stat(sourcePath).then(
      (stats) => stats.isFile(),
      () => false,
    );
    if (!exists) {
      const lineCounter = new LineCounter();
      const document = parseDocument(text, { lineCounter });
      const at = (offset: number) => {
        const position = lineCounter.linePos(offset);
        return { line: position.line, column: position.col };
      };
      throw new ProjectConfigError([
        {
          file,
          ...new Locator(document, at).locate(['environment', 'source'], 'value'),
          path: 'environment.source',
          code: 'missing_file',
          message: `cfs/src/${source} does not exist`,
          found: JSON.stringify(source),
          allowed: 'the path of a file in cfs/src',
        },
      ]);
    }
  }
  return { dir, project: result.project, warnings: result.warnings };
}

function normalize(yaml: ProjectYaml): Project {
  const slurm: Project['slurm'] = {};
  if (yaml.slurm?.account !== undefined) slurm.account = yaml.slurm.account;
  if (yaml.slurm?.partition !== undefined) slurm.partition = yaml.slurm.partition;
  if (yaml.slurm?.qos !== undefined) slurm.qos = yaml.slurm.qos;
  const project: Project = {
    projectName: yaml.projectname,
    conditions: {
      executorNames: yaml.conditions.executorNames,
      executorType: yaml.conditions.executorType,
      nodes: yaml.conditions.nodes,
      processesPerNode: yaml.conditions.processesPerNode,
      cpu: yaml.conditions.cpu,
      mem: yaml.conditions.mem,
      walltime: yaml.conditions.walltime,
      gpu: { count: yaml.conditions.gpu.count, name: yaml.conditions.gpu.name },
    },
    environment: {
      docker: yaml.environment.docker,
      rebuildImage: yaml.environment.rebuildImage,
      initCmd: yaml.environment['init-cmd'],
      cmd: yaml.environment.cmd,
      source: yaml.environment.source === '' ? undefined : yaml.environment.source,
      env: yaml.environment.env,
    },
    slurm,
    retries: yaml.retries,
    result: { download: yaml.result.download },
    sync: { symlinks: yaml.sync.symlinks },
  };
  if (yaml.tunnel !== undefined) {
    project.tunnel = { port: yaml.tunnel.port, localPort: yaml.tunnel.localPort ?? yaml.tunnel.port };
  }
  return project;
}

// ---------------------------------------------------------------------------
// Go compatibility: the original Pollinator decodes project.yaml with
// gopkg.in/yaml.v2 into typed fields, so `projectname: 12345` is the string
// "12345", `init-cmd:` (empty) is "", and `rebuildImage: yes` is true (YAML
// 1.1). The `yaml` package reads YAML 1.2, so such scalars are converted the
// same way here before validation, and existing projects keep loading.

/** Fields Go decodes into a string. */
const STRING_FIELDS = new Set([
  'projectname',
  'conditions.executorType',
  'conditions.executorNames.*',
  'conditions.cpu',
  'conditions.mem',
  'conditions.gpu.name',
  'environment.docker',
  'environment.init-cmd',
  'environment.cmd',
  'environment.source',
  'slurm.account',
  'slurm.partition',
  'slurm.qos',
]);
/** String fields where an empty value means "" (Go's zero value) rather than "missing". */
const EMPTY_IS_BLANK = new Set(['conditions.gpu.name', 'environment.init-cmd', 'environment.source']);
const BOOLEAN_FIELDS = new Set(['environment.rebuildImage']);
const YAML11_BOOLEANS: Record<string, boolean> = { yes: true, y: true, on: true, no: false, n: false, off: false };

function coerceLikeGo(document: Document, text: string): void {
  const visit = (node: unknown, path: string[]) => {
    if (isMap(node)) {
      for (const item of node.items) {
        if (!isPair(item) || !isScalar(item.key)) continue;
        const key = item.key.value;
        if (typeof key !== 'string' && typeof key !== 'number') continue;
        const childPath = [...path, String(key)];
        const pattern = childPath.join('.');
        if (item.value === null && EMPTY_IS_BLANK.has(pattern)) {
          item.value = document.createNode('');
          continue;
        }
        visit(item.value, childPath);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) visit(item, [...path, '*']);
    } else if (isScalar(node)) {
      const pattern = path.join('.');
      const raw = node.range === undefined || node.range === null ? undefined : text.slice(node.range[0], node.range[1]);
      if (STRING_FIELDS.has(pattern)) {
        if (node.value === null && EMPTY_IS_BLANK.has(pattern)) node.value = '';
        else if (node.type === 'PLAIN' && typeof node.value !== 'string' && node.value !== null && raw !== undefined) {
          node.value = raw.trim();
        }
      } else if (BOOLEAN_FIELDS.has(pattern) && typeof node.value === 'string' && node.type === 'PLAIN') {
        const value = YAML11_BOOLEANS[node.value.toLowerCase()];
        if (value !== undefined) node.value = value;
      }
    }
  };
  visit(document.contents, []);
}

// ---------------------------------------------------------------------------
// zod issue → ProjectIssue

function toProjectIssues(issue: z.core.$ZodIssue, data: unknown, locator: Locator, file: string): ProjectIssue[] {
  const path = issue.path.filter((segment): segment is PathSegment => typeof segment !== 'symbol');

  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const keyPath = [...path, key];
      const suggestion = suggestKey(path, key);
      const known = knownKeys(path);
      return {
        file,
        ...locator.locate(keyPath, 'key'),
        path: formatPath(keyPath),
        code: 'unknown_key',
        message:
          suggestion === undefined ? `unknown key "${key}"` : `unknown key "${key}" (did you mean "${suggestion}"?)`,
        found: JSON.stringify(key),
        allowed: known.length > 0 ? `one of ${known.join(', ')}` : allowedFor(path),
        ...(suggestion === undefined ? {} : { suggestion }),
      };
    });
  }

  if (issue.code === 'invalid_key') {
    const inner = issue.issues[0]?.message ?? 'invalid key';
    return [
      {
        file,
        ...locator.locate(path, 'key'),
        path: formatPath(path),
        code: 'invalid_value',
        message: inner,
        found: JSON.stringify(path.at(-1)),
        allowed: ALLOWED[`${patternOf(path.slice(0, -1))}.<name>`] ?? allowedFor(path),
      },
    ];
  }

  const value = valueAt(data, path);
  const allowedText = allowedFor(path);
  if (value === undefined && path.length > 0) {
    return [
      {
        file,
        ...locator.locate(path, 'key'),
        path: formatPath(path),
        code: 'missing_key',
        message: `missing required key "${String(path.at(-1))}"`,
        found: 'nothing',
        allowed: allowedText,
      },
    ];
  }
  if (value === undefined || (path.length === 0 && value === null)) {
    return [
      {
        file,
        line: 1,
        column: 1,
        path: '',
        code: 'invalid_value',
        message: 'the file is empty',
        found: 'nothing',
        allowed: allowedText,
      },
    ];
  }
  const problem = issue.message === allowedText ? 'invalid value' : issue.message;
  return [
    {
      file,
      ...locator.locate(path, 'value'),
      path: formatPath(path),
      code: 'invalid_value',
      message: problem,
      found: describeValue(value),
      allowed: allowedText,
    },
  ];
}

function valueAt(data: unknown, path: PathSegment[]): unknown {
  let current = data;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PathSegment, unknown>)[segment];
  }
  return current;
}

function describeValue(value: unknown): string {
  if (value === null) return 'an empty value (null)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `${value.toString()} (${typeof value})`;
  }
  return typeof value;
}

/** `['conditions', 'executorNames', 0]` → `conditions.executorNames[0]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? segment : `.${segment}`;
  }
  return text;
}

function patternOf(path: readonly PathSegment[]): string {
  return path.map((segment) => (typeof segment === 'number' ? '*' : segment)).join('.');
}

function allowedFor(path: readonly PathSegment[]): string {
  const exact = ALLOWED[patternOf(path)];
  if (exact !== undefined) return exact;
  const wildcard = ALLOWED[patternOf([...path.slice(0, -1), '*'])];
  return wildcard ?? 'see docs/project-yaml.md';
}

/** Keys the schema knows at `path` (an object). */
export function knownKeys(path: readonly PathSegment[]): string[] {
  const prefix = patternOf(path);
  return Object.keys(ALLOWED)
    .filter((pattern) => pattern !== '' && !pattern.endsWith('*') && !pattern.endsWith('>'))
    .filter((pattern) => {
      if (prefix === '') return !pattern.includes('.');
      return pattern.startsWith(`${prefix}.`) && !pattern.slice(prefix.length + 1).includes('.');
    })
    .map((pattern) => pattern.split('.').at(-1) ?? pattern);
}

/** The known key nearest to `key` at `path`, or the full path of a same-named key elsewhere. */
export function suggestKey(path: readonly PathSegment[], key: string): string | undefined {
  const known = knownKeys(path);
  const lower = key.toLowerCase().replace(/[-_]/g, '');
  const sameLetters = known.find((candidate) => candidate.toLowerCase().replace(/[-_]/g, '') === lower);
  if (sameLetters !== undefined) return sameLetters;

  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = levenshtein(key.toLowerCase(), candidate.toLowerCase());
    if (distance <= Math.max(2, Math.floor(candidate.length / 3)) && (best === undefined || distance < best.distance)) {
      best = { candidate, distance };
    }
  }
  if (best !== undefined) return best.candidate;

  // The right key at the wrong level (e.g. `walltime` at the top instead of under conditions).
  const elsewhere = Object.keys(ALLOWED).find(
    (pattern) =>
      !pattern.includes('*') && !pattern.includes('<') && pattern.split('.').at(-1)?.toLowerCase() === key.toLowerCase(),
  );
  return elsewhere;
}

function levenshtein(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    let diagonal = previous[0] ?? 0;
    previous[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const above = previous[j] ?? 0;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      previous[j] = Math.min(above + 1, (previous[j - 1] ?? 0) + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return previous[b.length] ?? 0;
}

/** Finds the YAML node for a field path and turns its offset into line / column. */
class Locator {
  constructor(
    private readonly document: Document,
    private readonly at: (offset: number) => { line: number; column: number },
  ) {}

  /**
   * Position of the value at `path` (mode `value`) or of its key (mode `key`).
   * When the path does not exist (a missing key), the deepest existing
   * ancestor's key is used, so the user is pointed at the mapping that lacks it.
   */
  locate(path: readonly PathSegment[], mode: 'key' | 'value'): { line: number; column: number } {
    let node: unknown = this.document.contents;
    let lastKey: Node | undefined;
    let lastValue: unknown = node;
    for (const segment of path) {
      let next: { key?: Node; value: unknown } | undefined;
      if (isMap(node)) {
        for (const item of node.items) {
          if (!isPair(item)) continue;
          const keyNode = item.key as Node | null;
          const keyValue: unknown = isScalar(keyNode) ? keyNode.value : undefined;
          if ((typeof keyValue === 'string' || typeof keyValue === 'number') && String(keyValue) === String(segment)) {
            next = { key: keyNode ?? undefined, value: item.value };
            break;
          }
        }
      } else if (isSeq(node) && typeof segment === 'number') {
        const item: unknown = node.items[segment];
        if (item !== undefined) next = { value: item };
      }
      if (next === undefined) {
        return this.position(lastKey ?? (lastValue as Node | undefined));
      }
      if (next.key !== undefined) lastKey = next.key;
      else lastKey = next.value as Node | undefined;
      lastValue = next.value;
      node = next.value;
    }
    if (mode === 'key') return this.position(lastKey ?? (lastValue as Node | undefined));
    return this.position((lastValue as Node | null) ?? lastKey);
  }

  private position(node: Node | null | undefined): { line: number; column: number } {
    const offset = node?.range?.[0];
    return offset === undefined ? { line: 1, column: 1 } : this.at(offset);
  }
}
