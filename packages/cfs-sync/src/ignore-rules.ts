import { readFile } from 'node:fs/promises';
import ignore, { type Ignore } from 'ignore';
import { BACKUP_INFIX } from './paths';

/** The ignore file cfs-sync reads in every directory (gitignore syntax). */
export const IGNORE_FILE = '.pollinatorignore';

/** Always ignored unless a `!pattern` in an ignore file re-includes them. */
export const DEFAULT_IGNORE_RULES: readonly string[] = [
  '.git',
  'node_modules',
  '__pycache__',
  '.venv',
  '.DS_Store',
  `*${BACKUP_INFIX}*`,
  // registered by createSnapshot() at a root label without files of its own; never needed locally
  '/.pollinator-keep',
];

/** Why a path is ignored: the rule, and the file and line it came from. */
export interface IgnoreSource {
  pattern: string;
  /** `.pollinatorignore`, `sub/.gitignore`, … relative to the synced directory, or `<defaults>`. */
  file: string;
  /** 1-based line in `file` (for defaults: the index in DEFAULT_IGNORE_RULES, 1-based). */
  line: number;
}

export interface IgnoreOptions {
  /** Also read `.gitignore` files (`.pollinatorignore` wins where both match). Default false. */
  gitignore?: boolean;
  /** Leave out DEFAULT_IGNORE_RULES. Default false. */
  noDefaults?: boolean;
  /** More rules, applied at the root after the defaults. */
  extraRules?: readonly string[];
}

interface Level {
  /** Directory the rules are relative to ("" = root). */
  base: string;
  matcher: Ignore;
}

/**
 * Gitignore semantics over nested ignore files: rules are relative to the
 * directory of their file; a deeper file overrides a shallower one; within a
 * file the last matching rule wins; a path below an ignored directory is
 * ignored (the walk does not enter it).
 */
export class IgnoreRules {
  private constructor(
    private readonly levels: Level[],
    private readonly sources: IgnoreSource[],
  ) {}

  static root(options: IgnoreOptions = {}): IgnoreRules {
    const rules = new IgnoreRules([], []);
    const matcher = ignore();
    const add = (patterns: readonly string[], file: string) => {
      patterns.forEach((pattern, index) => {
        const mark = String(rules.sources.push({ pattern, file, line: index + 1 }) - 1);
        matcher.add({ pattern, mark });
      });
    };
    if (!options.noDefaults) add(DEFAULT_IGNORE_RULES, '<defaults>');
    if (options.extraRules?.length) add(options.extraRules, '<options>');
    rules.levels.push({ base: '', matcher });
    return rules;
  }

  /** The rules for directory `dirRel`, adding its ignore files (if any) to this level's. */
  async descend(absDir: string, dirRel: string, names: ReadonlySet<string>, options: IgnoreOptions = {}): Promise<IgnoreRules> {
    const files = [...(options.gitignore ? ['.gitignore'] : []), IGNORE_FILE].filter((name) => names.has(name));
    if (files.length === 0) return this;
    const matcher = ignore();
    for (const file of files) {
      const text = await readFile(`${absDir}/${file}`, 'utf8').catch(() => '');
      const rel = dirRel === '' ? file : `${dirRel}/${file}`;
      text.split(/\r?\n/).forEach((raw, index) => {
        if (raw.trim() === '' || raw.startsWith('#')) return;
        const mark = String(this.sources.push({ pattern: raw.trim(), file: rel, line: index + 1 }) - 1);
        matcher.add({ pattern: raw, mark });
      });
    }
    return new IgnoreRules([...this.levels, { base: dirRel, matcher }], this.sources);
  }

  /** The rule that ignores `rel` (POSIX, relative to the synced root), or undefined. */
  match(rel: string, isDir: boolean): IgnoreSource | undefined {
    for (let i = this.levels.length - 1; i >= 0; i--) {
      const level = this.levels[i]!;
      const sub = level.base === '' ? rel : rel.startsWith(`${level.base}/`) ? rel.slice(level.base.length + 1) : undefined;
      if (sub === undefined || sub === '') continue;
      const result = level.matcher.test(isDir ? `${sub}/` : sub);
      if (result.ignored) return this.sources[Number(result.rule?.mark)];
      if (result.unignored) return undefined;
    }
    return undefined;
  }
}
