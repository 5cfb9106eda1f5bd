/**
 * The runnable transcripts of the documentation, and how to compare them with
 * what the commands print. A transcript is a ```console block: lines that
 * start with `$ ` are commands (run by bash), the lines after one are what it
 * prints (stdout and stderr as a terminal shows them, interleaved); lines
 * right after a command that start with `> ` continue it, as the shell's
 * continuation prompt shows a here-document. An HTML
 * comment right before the block can say where it starts:
 * `<!-- transcript: cwd=demo -->` (relative to the home directory; the
 * default is the home directory itself; `cwd=pollinator` is a clone of this
 * repository there).
 *
 * What may differ from run to run is matched loosely, so that a transcript
 * can be a real one, pasted as it was printed:
 * - `…` inside a line matches any text; a line that is only `…` matches any
 *   number of lines (including none);
 * - a run of at least 6 hex digits with a digit among them (process and
 *   snapshot ids, the random suffix of a project name) matches any hex run of
 *   the same length, consistently: the same documented id must be the same
 *   real id everywhere in the file, and a command that names a prefix of a
 *   documented id (`pollinator status db17e1f0`) gets the real id's prefix;
 * - durations (`99ms`, `8.8s`, `2m`) match any duration, and date-times
 *   (`2026-12-03 09:26:18`) any date-time;
 * - runs of spaces match any run of spaces (table columns vary in width);
 * - `~` stands for the home directory.
 */

export interface TranscriptStep {
  /** The command line after `$ `. */
  command: string;
  /** 1-based line of the command in the markdown file. */
  line: number;
  /** The documented output lines. */
  expected: string[];
}

export interface Transcript {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** Where the transcript starts, relative to the home directory ('' = home). */
  cwd: string;
  steps: TranscriptStep[];
}

const DIRECTIVE = /^<!--\s*transcript:\s*(.*?)\s*-->$/;

/** The ```console blocks of a markdown file, in order. */
export function extractTranscripts(markdown: string, file: string): Transcript[] {
  const lines = markdown.split('\n');
  const transcripts: Transcript[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    if (lines[index]?.trim() !== '```console') continue;
    const directive = DIRECTIVE.exec(lines[index - 1]?.trim() ?? '')?.[1] ?? '';
    const cwd = /(?:^|\s)cwd=([^\s,;]+)/.exec(directive)?.[1] ?? '';
    const transcript: Transcript = { file, line: index + 1, cwd, steps: [] };
    for (index += 1; index < lines.length && lines[index]?.trim() !== '```'; index += 1) {
      const text = lines[index] ?? '';
      const step = transcript.steps.at(-1);
      if (text.startsWith('$ ')) {
        transcript.steps.push({ command: text.slice(2), line: index + 1, expected: [] });
      } else if (step !== undefined && step.expected.length === 0 && (text === '>' || text.startsWith('> '))) {
        // The shell's continuation prompt: the command goes on (a here-document, a quoted newline).
        step.command += `\n${text.slice(2)}`;
      } else {
        if (step === undefined) throw new Error(`${file}:${index + 1}: a console block must start with a "$ " command line`);
        step.expected.push(text);
      }
    }
    transcripts.push(transcript);
  }
  return transcripts;
}

/** Documented hex ids (and prefixes) → the real ones, for one file's transcripts. */
export type IdMap = Map<string, string>;

const TOKEN = new RegExp(
  [
    '(?<ellipsis>…)',
    '(?<datetime>\\b\\d{4}-\\d{2}-\\d{2}[ T]\\d{2}:\\d{2}(?::\\d{2}(?:\\.\\d+)?)?Z?)',
    '(?<duration>\\b\\d+(?:\\.\\d+)?(?:ms|s|m|h)\\b)',
    '(?<hex>\\b(?=[0-9a-f]*\\d)[0-9a-f]{6,}\\b)',
    '(?<space> +)',
  ].join('|'),
  'g',
);

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface LinePattern {
  regex: RegExp;
  /** The documented hex runs, in the order of the regex's groups. */
  hexes: string[];
}

function linePattern(expected: string): LinePattern {
  const hexes: string[] = [];
  let source = '';
  let last = 0;
  for (const match of expected.trimEnd().matchAll(TOKEN)) {
    source += escape(expected.slice(last, match.index));
    last = match.index + match[0].length;
    const groups = match.groups ?? {};
    if (groups.ellipsis !== undefined) source += '.*?';
    else if (groups.datetime !== undefined) source += '\\d{4}-\\d{2}-\\d{2}[ T]\\d{2}:\\d{2}(?::\\d{2}(?:\\.\\d+)?)?Z?';
    else if (groups.duration !== undefined) source += '\\d+(?:\\.\\d+)?(?:ms|s|m|h)';
    else if (groups.hex !== undefined) {
      hexes.push(match[0]);
      source += `([0-9a-f]{${match[0].length}})`;
    } else source += ' +';
  }
  source += escape(expected.trimEnd().slice(last));
  return { regex: new RegExp(`^${source}$`), hexes };
}

/** The ids a line binds, or undefined when it does not match (or contradicts `ids`). */
function matchLine(pattern: LinePattern, actual: string, ids: IdMap): Array<[string, string]> | undefined {
  const match = pattern.regex.exec(actual.trimEnd());
  if (match === null) return undefined;
  const bindings: Array<[string, string]> = [];
  for (const [index, documented] of pattern.hexes.entries()) {
    const real = match[index + 1] ?? '';
    const known = ids.get(documented) ?? bindings.find(([key]) => key === documented)?.[1];
    if (known !== undefined && known !== real) return undefined;
    bindings.push([documented, real]);
  }
  return bindings;
}

/**
 * Does `actual` (the printed lines) match the documented lines? On success
 * the ids it bound are added to `ids`; on failure, says where it stopped.
 */
export function matchTranscript(expected: string[], actual: string[], ids: IdMap): { ok: true } | { ok: false; reason: string } {
  const patterns = expected.map((line) => (line.trim() === '…' ? undefined : linePattern(line)));
  let furthest = { expectedIndex: 0, actualIndex: 0 };
  // Depth-first over the ways a `…` line can stretch; transcripts are short.
  const attempt = (expectedIndex: number, actualIndex: number, bound: IdMap): IdMap | undefined => {
    if (expectedIndex > furthest.expectedIndex) furthest = { expectedIndex, actualIndex };
    if (expectedIndex === patterns.length) return actualIndex === actual.length ? bound : undefined;
    const pattern = patterns[expectedIndex];
    if (pattern === undefined) {
      for (let skip = actualIndex; skip <= actual.length; skip += 1) {
        const found = attempt(expectedIndex + 1, skip, bound);
        if (found !== undefined) return found;
      }
      return undefined;
    }
    if (actualIndex >= actual.length) return undefined;
    const bindings = matchLine(pattern, actual[actualIndex] ?? '', bound);
    if (bindings === undefined) return undefined;
    return attempt(expectedIndex + 1, actualIndex + 1, new Map([...bound, ...bindings]));
  };
  const found = attempt(0, 0, ids);
  if (found !== undefined) {
    for (const [documented, real] of found) ids.set(documented, real);
    return { ok: true };
  }
  const wanted = expected[furthest.expectedIndex] ?? '(the end of the output)';
  const got = actual[furthest.actualIndex] ?? '(the end of the output)';
  return { ok: false, reason: `documented line ${furthest.expectedIndex + 1} ${JSON.stringify(wanted)} does not match printed line ${furthest.actualIndex + 1} ${JSON.stringify(got)}` };
}

/** The command with every documented id (or a prefix of at least 4 digits of one) replaced by the real one. */
export function substituteIds(command: string, ids: IdMap): string {
  return command.replace(/\b[0-9a-f]{4,}\b/g, (token) => {
    for (const [documented, real] of ids) {
      if (documented.startsWith(token) && documented.length === real.length) return real.slice(0, token.length);
    }
    return token;
  });
}

/** Printed output as the documentation shows it: lines, the home directory as `~`, no trailing blank lines. */
export function normalizeOutput(output: string, home: string): string[] {
  const lines = output.split(home).join('~').split('\n').map((line) => line.trimEnd());
  while (lines.length > 0 && lines.at(-1) === '') lines.pop();
  return lines;
}
