import {
  Composer,
  isAlias,
  isCollection,
  isMap,
  isPair,
  isScalar,
  Lexer,
  LineCounter,
  Parser,
  YAMLParseError,
  type Alias,
  type Document,
  type Node,
  type CST,
  type ParseOptions,
} from 'yaml';

type Token = CST.Token;
import { PROJECT_YAML_LIMITS, utf8ByteLength } from './limits';
import type { ProjectIssue } from './project-issues';
import { oneLine, preview } from './quote';
import { capIssues } from './schema-issues';

/** A 1-based line and column. */
export interface Position {
  line: number;
  column: number;
}

export type ReadYamlResult =
  | { ok: true; document: Document; data: unknown; at: (offset: number) => Position; warnings: ProjectIssue[] }
  | { ok: false; issues: ProjectIssue[]; warnings: ProjectIssue[] };

export interface ReadYamlOptions {
  /** Called with the checked document before it is converted to data (e.g. to coerce scalars). */
  prepare?: (document: Document) => void;
}

/** Issue without the file name (the caller adds it). */
type Problem = Omit<ProjectIssue, 'file'>;

const COMPOSE_OPTIONS: ParseOptions = { prettyErrors: false, uniqueKeys: false };

/**
 * Parse YAML text into a document and its plain data, within
 * `PROJECT_YAML_LIMITS`: size, nesting depth, number of aliases and their
 * expansion. Linear in the size of the text and never throws for any input:
 * every problem comes back as an issue with a position.
 *
 * Why not `parseDocument`: its duplicate-key check compares each key with
 * every earlier one (3 MB of keys took minutes), its composer recurses once
 * per nesting level (2,000 levels overflowed the stack), and `toJS` throws
 * for an undefined alias. Here the parser is driven token by token so depth
 * is checked while parsing, and duplicates and aliases are checked in one walk.
 */
export function readYaml(text: string, file: string, options: ReadYamlOptions = {}): ReadYamlResult {
  // The YAML library makes an Error per syntax problem; a megabyte of "]" is a million of them,
  // and capturing a stack trace for each was most of the time spent (tens of seconds).
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return readYamlUnchecked(text, file, options);
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

function readYamlUnchecked(text: string, file: string, options: ReadYamlOptions): ReadYamlResult {
  const lineCounter = new LineCounter();
  const at = (offset: number): Position => {
    const position = lineCounter.linePos(offset);
    return { line: position.line, column: position.col };
  };
  const withFile = (problems: Problem[]): ProjectIssue[] => problems.map((problem) => ({ file, ...problem }));

  const bytes = utf8ByteLength(text);
  if (bytes > PROJECT_YAML_LIMITS.maxFileBytes) {
    return { ok: false, issues: withFile([tooLargeProblem(bytes)]), warnings: [] };
  }

  const tokens = parseTokens(text, lineCounter);
  if ('problem' in tokens) return { ok: false, issues: withFile([{ ...tokens.problem, ...at(tokens.offset) }]), warnings: [] };

  const document = composeFirstDocument(tokens.tokens, text.length);
  const max = PROJECT_YAML_LIMITS.maxIssues;
  const warnings = withFile(document.warnings.slice(0, max).map((warning) => yamlProblem(warning, at, 'warning')));
  if (document.errors.length > 0) {
    const issues = withFile(document.errors.slice(0, max).map((error) => yamlProblem(error, at, 'yaml')));
    return { ok: false, issues: capIssues(issues, file, document.errors.length), warnings };
  }

  const structural = checkStructure(document, at);
  if (structural.length > 0) return { ok: false, issues: withFile(structural), warnings };

  options.prepare?.(document);
  try {
    const data: unknown = document.toJS({ maxAliasCount: PROJECT_YAML_LIMITS.maxAliasExpansions });
    return { ok: true, document, data, at, warnings };
  } catch (error) {
    // The library's billion-laughs guard (or any other refusal of toJS).
    const firstAlias = findFirstAlias(document);
    const position = firstAlias?.range ? at(firstAlias.range[0]) : { line: 1, column: 1 };
    const tooMany = error instanceof ReferenceError && /alias count/i.test(error.message);
    const message = tooMany
      ? `aliases expand to too many values (limit ${PROJECT_YAML_LIMITS.maxAliasExpansions}); anchors and aliases are meant for a few repeated values`
      : `the YAML cannot be converted to data: ${(error as Error).message}`;
    return { ok: false, issues: withFile([{ ...position, path: '', code: 'limit', message }]), warnings };
  }
}

function tooLargeProblem(bytes: number): Problem {
  const limit = PROJECT_YAML_LIMITS.maxFileBytes;
  return {
    line: 1,
    column: 1,
    path: '',
    code: 'limit',
    message: `the file is ${formatBytes(bytes)}, more than the limit of ${formatBytes(limit)} (${limit} bytes); a project.yaml describes one job and is a few hundred bytes`,
  };
}

function formatBytes(bytes: number): string {
  if (bytes >= 1_048_576) return `${(bytes / 1_048_576).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}

/**
 * The concrete syntax tree, built token by token so that nesting deeper than
 * the limit stops the parse at the offending bracket or indentation instead
 * of building a tree the composer would recurse through. Parsing also stops
 * at a second document and after `maxIssues` stray tokens: the rest of such a
 * file cannot change the outcome.
 */
function parseTokens(
  text: string,
  lineCounter: LineCounter,
): { tokens: Token[] } | { problem: Omit<Problem, 'line' | 'column'>; offset: number } {
  const parser = new Parser(lineCounter.addNewLine);
  lineCounter.addNewLine(0);
  const tokens: Token[] = [];
  let documents = 0;
  let errors = 0;
  // The parser's stack holds the document and each open collection (and the scalar being read).
  const maxStack = PROJECT_YAML_LIMITS.maxNestingDepth + 2;
  for (const lexeme of new Lexer().lex(text, false)) {
    for (const token of parser.next(lexeme)) {
      tokens.push(token);
      if (token.type === 'document') documents += 1;
      if (token.type === 'error') errors += 1;
    }
    if (documents > 1 || errors > PROJECT_YAML_LIMITS.maxIssues) return { tokens };
    if (parser.stack.length > maxStack) {
      return {
        problem: {
          path: '',
          code: 'limit',
          message: `mappings and lists are nested more than ${PROJECT_YAML_LIMITS.maxNestingDepth} levels deep`,
        },
        offset: parser.offset,
      };
    }
  }
  for (const token of parser.end()) tokens.push(token);
  return { tokens };
}

/** The first document; a second one is an error (as `parseDocument` reports it). */
function composeFirstDocument(tokens: Token[], length: number): Document {
  const composer = new Composer(COMPOSE_OPTIONS);
  let document: Document | undefined;
  for (const next of composer.compose(tokens, true, length)) {
    if (document === undefined) {
      document = next;
    } else {
      const range: [number, number] = [next.range[0], next.range[1]];
      document.errors.push(
        new YAMLParseError(range, 'MULTIPLE_DOCS', 'Source contains multiple documents; a project.yaml holds one'),
      );
      break;
    }
  }
  // compose(…, forceDoc = true) always yields at least one document.
  return document as Document;
}

function yamlProblem(error: YAMLParseError | { pos: [number, number]; message: string }, at: (offset: number) => Position, code: 'yaml' | 'warning'): Problem {
  const first = oneLine(error.message.split('\n')[0] ?? error.message);
  return {
    ...at(error.pos[0]),
    path: '',
    code,
    message: code === 'yaml' ? `YAML syntax error: ${first}` : first,
  };
}

/**
 * One walk over the document (its depth is already bounded): keys repeated in
 * a mapping, aliases without an anchor before them, and too many aliases.
 */
function checkStructure(document: Document, at: (offset: number) => Position): Problem[] {
  const problems: Problem[] = [];
  // Anchors whose value is complete, and those still being read (an alias to one of these would be a cycle).
  const anchors = new Set<string>();
  const open: string[] = [];
  let aliases = 0;
  const position = (node: Node | null | undefined): Position => (node?.range ? at(node.range[0]) : { line: 1, column: 1 });
  const add = (node: Node | null | undefined, code: Problem['code'], message: string) => {
    if (problems.length < PROJECT_YAML_LIMITS.maxIssues) problems.push({ ...position(node), path: '', code, message });
  };

  const visitAlias = (node: Alias): void => {
    aliases += 1;
    const name = preview(node.source);
    if (open.includes(node.source)) add(node, 'yaml', `alias *${name} is inside the value of its own anchor &${name}`);
    else if (!anchors.has(node.source)) add(node, 'yaml', `alias *${name} has no anchor &${name} before it`);
    else if (aliases === PROJECT_YAML_LIMITS.maxAliases + 1) add(node, 'limit', `more than ${PROJECT_YAML_LIMITS.maxAliases} aliases`);
  };

  const visit = (node: unknown): void => {
    if (problems.length >= PROJECT_YAML_LIMITS.maxIssues) return;
    if (isAlias(node)) return visitAlias(node);
    if (!isScalar(node) && !isCollection(node)) return;
    const anchor = typeof node.anchor === 'string' ? node.anchor : undefined;
    if (anchor !== undefined) open.push(anchor);
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = pair.key as Node | null;
        const identity = isScalar(key) ? `${typeof key.value}:${String(key.value)}` : undefined;
        if (identity !== undefined && seen.has(identity)) add(key, 'yaml', 'YAML syntax error: Map keys must be unique');
        else if (identity !== undefined) seen.add(identity);
        visit(pair.key);
        visit(pair.value);
      }
    } else {
      for (const child of childrenOf(node)) visit(child);
    }
    if (anchor !== undefined) {
      open.pop();
      anchors.add(anchor);
    }
  };
  visit(document.contents);
  return problems;
}

function findFirstAlias(document: Document): Node | undefined {
  let found: Node | undefined;
  const visit = (node: unknown): void => {
    if (found !== undefined) return;
    if (isAlias(node)) {
      found = node;
    } else {
      for (const child of childrenOf(node)) visit(child);
    }
  };
  visit(document.contents);
  return found;
}

/** The nodes directly inside `node`, in document order: each pair's key then value, or each item; none for a scalar. */
function childrenOf(node: unknown): unknown[] {
  if (!isCollection(node)) return [];
  return node.items.flatMap((item: unknown) => (isPair(item) ? [item.key, item.value] : [item]));
}
