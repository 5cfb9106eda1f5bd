import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { resolveConfig, variableTypos, type EffectiveConfig } from './config/settings';
import { CliError } from './errors';
import { CliExitCode } from './exit-codes';
import { Output } from './render/output';

/** Options every command accepts (defined once on the program). */
export interface GlobalOptions {
  json?: boolean;
  verbose?: boolean;
  /** `false` with `--no-color`. */
  color?: boolean;
  cwd?: string;
  profile?: string;
}

/** What a command gets: where it runs, how to print, and the configuration (read on first use). */
export class CommandContext {
  readonly output: Output;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly options: GlobalOptions;
  /** Stops the command (Ctrl-C, SIGTERM). */
  readonly signal: AbortSignal;
  private cachedConfig: EffectiveConfig | undefined;
  private readonly cleanups: Array<() => Promise<void> | void> = [];

  constructor(options: GlobalOptions, init: { env?: NodeJS.ProcessEnv; output?: Output; signal?: AbortSignal } = {}) {
    this.options = options;
    this.env = init.env ?? process.env;
    this.cwd = resolve(process.cwd(), options.cwd ?? '.');
    if (options.cwd !== undefined) assertDirectory(options.cwd, this.cwd);
    this.signal = init.signal ?? new AbortController().signal;
    this.output =
      init.output ??
      new Output({ json: options.json === true, verbose: options.verbose === true, color: options.color, env: this.env });
  }

  /**
   * Whether reading the configuration warns about variables that look like
   * typos of ones pollinator reads (`COLONIES_SERVR_HOST`): every command does,
   * since such a typo silently changes where things run; `config` lists them itself.
   */
  reportVariableTypos = true;

  /** The configuration in effect (profile + environment). */
  get config(): EffectiveConfig {
    if (this.cachedConfig === undefined) {
      this.cachedConfig = resolveConfig({ env: this.env, profile: this.options.profile, cwd: this.cwd });
      if (this.reportVariableTypos) for (const typo of variableTypos(this.cachedConfig.variables)) this.output.warn(typo);
    }
    return this.cachedConfig;
  }

  /** Registers something to release when the command ends (servers, executors), last first. */
  onCleanup(cleanup: () => Promise<void> | void): void {
    this.cleanups.push(cleanup);
  }

  async cleanup(): Promise<void> {
    while (this.cleanups.length > 0) {
      const cleanup = this.cleanups.pop();
      try {
        const started = Date.now();
        await cleanup?.();
        this.output.debug(`cleanup step took ${Date.now() - started} ms`);
      } catch (error) {
        this.output.debug(`cleanup failed: ${(error as Error).message}`);
      }
    }
  }
}

/**
 * `-C <dir>` must name a directory: otherwise every command would report
 * something about a project.yaml it never had a chance to look for.
 */
function assertDirectory(given: string, path: string): void {
  let problem: string | undefined;
  try {
    if (!statSync(path).isDirectory()) problem = 'it is not a directory';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    problem = code === 'ENOENT' ? 'no such directory' : `it cannot be read (${code ?? (error as Error).message})`;
  }
  if (problem === undefined) return;
  throw new CliError(`Cannot run in ${given} (-C)`, {
    why: path === given ? problem : `${path}: ${problem}`,
    fix: 'Check the path given to -C/--cwd: the command runs as if started in that directory.',
    exitCode: CliExitCode.USAGE,
    code: 'USAGE',
  });
}
