/**
 * Upper bounds for every number and string a spec may carry, shared by the
 * project.yaml schema (exit 65 with a location), the dev-server (HTTP 400)
 * and the executors (process closed failed). A spec comes from any member of
 * a colony, so nothing downstream may assume a value is small: an unbounded
 * walltime overflowed int64 in the scheduler and made `setTimeout` fire at
 * once (issue #13, case 6).
 *
 * The project.yaml schema may be stricter (nodes and processesPerNode stop at
 * 127, the Colonies server's limit); these are the bounds for any spec.
 */
export const SPEC_LIMITS = {
  /** 365 days. Far below int64 nanoseconds (~292 years) and chunked timers handle it. */
  walltimeSeconds: 31_536_000,
  nodes: 100_000,
  processesPerNode: 100_000,
  /** 100,000 cores. */
  cpuMillicores: 100_000_000,
  /** 1 PiB (1,048,576Gi); also keeps byte counts exact in a double. */
  memoryBytes: 2 ** 50,
  gpuCount: 1_024,
  /** `maxretries`: how often a process that exceeds its time is re-queued. */
  retries: 100,
  /** Any single string of a spec (command, image, environment value, …), in UTF-8 bytes. */
  maxStringBytes: 65_536,
} as const;

/**
 * Characters that end a line for a shell, for Slurm's `--export`, for an
 * `env` file or for a terminal: LF, CR, and the other Unicode mandatory
 * breaks (VT, FF, NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR). NUL ends a C
 * string, so an argument containing it is silently cut by every exec.
 */
const NUL_OR_LINE_BREAK = /[\0\n\r\v\f\u0085\u2028\u2029]/u;

/** True when `text` holds a NUL or a line break, which no command, image name or environment value can carry intact. */
export function containsNulOrLineBreak(text: string): boolean {
  return NUL_OR_LINE_BREAK.test(text);
}

/** Bytes `text` takes in UTF-8 (what `maxStringBytes` counts). */
export function utf8ByteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * Bounds on reading a project.yaml, so that loading stays linear and short
 * whatever the file holds (issue #13, case 10): a file of unknown keys, a
 * "billion laughs" of aliases or thousands of nested brackets end in a
 * located problem (exit 65), never in a hang or a stack overflow.
 */
export const PROJECT_YAML_LIMITS = {
  /**
   * Size of project.yaml in bytes (256 KiB; a real one is well under 10 KiB).
   * The YAML library needs about a microsecond per token, so the worst file
   * of this size still loads in well under a second.
   */
  maxFileBytes: 262_144,
  /** Levels of nested mappings and lists (a project.yaml needs 4). */
  maxNestingDepth: 50,
  /** Aliases (`*name`) in the file. */
  maxAliases: 100,
  /** The YAML library's "billion laughs" guard: uses of an anchor times the aliases inside it. */
  maxAliasExpansions: 100,
  /** Problems reported per file; the rest are counted in one last line. */
  maxIssues: 50,
  /** Unknown keys longer than this get no "did you mean" suggestion (edit distance is quadratic in the length). */
  maxSuggestionKeyLength: 64,
} as const;
