import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
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
  /** `.pollinatorignore`, `sub/.gitignore`, … relative to the synced directory, `<defaults>`, `<options>`, or an extra ignore file's absolute path. */
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
  /**
   * Ignore files outside the synced tree (absolute paths; e.g. the project's
   * root `.pollinatorignore`), gitignore syntax, rules relative to the synced
   * directory. Order (later wins): built-in defaults, `extraRules`, these files
   * in order, then the `.pollinatorignore` files inside the tree. A missing file is skipped.
   */
  extraIgnoreFiles?: readonly string[];
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
    for (const file of options.extraIgnoreFiles ?? []) {
      if (!isAbsolute(file)) throw new TypeError(`[pollinator] [cfs-sync] extraIgnoreFiles: ${JSON.stringify(file)} is not an absolute path`);
      const text = readIgnoreFileSync(file);
      if (text !== undefined) rules.addLines(matcher, text, file);
    }
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
      this.addLines(matcher, text, dirRel === '' ? file : `${dirRel}/${file}`);
    }
    return new IgnoreRules([...this.levels, { base: dirRel, matcher }], this.sources);
  }

  /** Adds the rules of one ignore file's text to `matcher`, remembering where each came from. */
  private addLines(matcher: Ignore, text: string, file: string): void {
    text.split(/\r?\n/).forEach((raw, index) => {
      if (raw.trim() === '' || raw.startsWith('#')) return;
      const mark = String(this.sources.push({ pattern: raw.trim(), file, line: index + 1 }) - 1);
      matcher.add({ pattern: raw, mark });
    });
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

/** The text of an ignore file given by path, undefined when it does not exist (a project need not have one). */
function readIgnoreFileSync(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TypeError(`[pollinator] [cfs-sync] cannot read the ignore file ${file}: ${(error as Error).message}`);
  }
}
