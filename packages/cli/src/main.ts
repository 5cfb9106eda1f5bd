import { pathToFileURL } from 'node:url';
import { CommanderError, type Command } from 'commander';
import { CommandContext, type GlobalOptions } from './context';
import { CliError, ExitSignal } from './errors';
import { CliExitCode } from './exit-codes';
import { createProgram } from './program';
import { renderError } from './render/error';
import { explainError } from './render/explain-error';
import { Output } from './render/output';

function applyRecursively(command: Command, apply: (command: Command) => void): void {
  apply(command);
  for (const child of command.commands) applyRecursively(child, apply);
}

function commandPath(command: Command | undefined): string {
  const names: string[] = [];
  for (let current = command; current !== undefined && current !== null; current = current.parent ?? undefined) {
    names.unshift(current.name());
  }
  return names.join(' ');
}

/** Has the user asked for JSON / verbose output? (Read before parsing, for usage errors.) */
function earlyFlags(argv: readonly string[]): GlobalOptions {
  const beforeDashes = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
  return {
    json: beforeDashes.includes('--json'),
    verbose: beforeDashes.includes('-v') || beforeDashes.includes('--verbose'),
    color: beforeDashes.includes('--no-color') ? false : undefined,
  };
}

/** The exit code a closed pipe ends the process with: that of the command so far. */
let exitCodeSoFar: number = CliExitCode.SUCCESS;
let pipeHandlersInstalled = false;

/**
 * `pollinator --help | head -1`, `pollinator logs <id> | head`: a closed pipe
 * ends the command quietly, as for any Unix tool. Installed once for the life
 * of the process, not per command: the write that meets the closed pipe may
 * fail after the command has returned (help is written just before it ends),
 * and an `error` event without a listener is an uncaught exception.
 */
function endQuietlyOnClosedPipe(): void {
  if (pipeHandlersInstalled) return;
  pipeHandlersInstalled = true;
  const onPipeError = (error: NodeJS.ErrnoException): void => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') process.exit(exitCodeSoFar);
    throw error;
  };
  process.stdout.on('error', onPipeError);
  process.stderr.on('error', onPipeError);
}

/**
 * Runs the `pollinator` command with `argv` (without `node` and the script)
 * and resolves with the exit code. The single place where errors become an
 * explained paragraph and an exit status.
 */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let exitCode = CliExitCode.SUCCESS as number;
  exitCodeSoFar = exitCode;
  endQuietlyOnClosedPipe();
  let context: CommandContext | undefined;
  let failedCommand: Command | undefined;
  let commanderMessage = '';

  const interrupt = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupts += 1;
    if (interrupts > 1 || context === undefined) {
      // A second Ctrl-C (or one before any command started) ends at once.
      context?.output.close();
      process.exit(CliExitCode.CANCELLED);
    }
    interrupt.abort(new CliError(`Interrupted by ${signal}`, { exitCode: CliExitCode.CANCELLED, code: 'INTERRUPTED' }));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const program = createProgram({
    async invoke(load, globals, args) {
      context = new CommandContext(globals, { env, signal: interrupt.signal });
      const module = await load();
      const result = await module.run(context, ...args);
      if (typeof result === 'number') exitCode = exitCodeSoFar = result;
    },
  });
  applyRecursively(program, (command) => {
    command.exitOverride();
    command.configureOutput({
      outputError: (message) => {
        commanderMessage = message;
      },
    });
    command.hook('preSubcommand', (_thisCommand, subcommand) => {
      failedCommand = subcommand;
    });
    command.hook('preAction', (_thisCommand, actionCommand) => {
      failedCommand = actionCommand;
    });
  });

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') {
        exitCode = CliExitCode.SUCCESS;
      } else if (error.code === 'commander.executeSubCommandAsync') {
        exitCode = error.exitCode;
      } else {
        const output = context?.output ?? new Output({ ...earlyFlags(argv), env });
        const text = (commanderMessage || error.message).replace(/^error:\s*/i, '').trim();
        const [first = text, ...rest] = text.split('\n');
        const suggestion = rest.join(' ').replace(/^\(|\)$/g, '').trim();
        const path = commandPath(failedCommand ?? program);
        const what = first.charAt(0).toUpperCase() + first.slice(1).replace(/\.$/, '');
        exitCode = renderError(
          output,
          new CliError(suggestion === '' ? what : `${what} (${suggestion.charAt(0).toLowerCase()}${suggestion.slice(1)})`, {
            fix: `Run \`${path} --help\` for usage.`,
            exitCode: CliExitCode.USAGE,
            code: 'USAGE',
          }),
        );
      }
    } else if (error instanceof ExitSignal) {
      exitCode = error.exitCode;
    } else {
      const output = context?.output ?? new Output({ ...earlyFlags(argv), env });
      exitCode = renderError(output, await explainError(error));
    }
  } finally {
    // Before the first await: a closed pipe noticed from now on ends with this code.
    exitCodeSoFar = exitCode;
    if (context !== undefined) {
      await context.cleanup();
      context.output.close();
    }
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return exitCode;
}

// Started directly (`node --import tsx src/main.ts …`, as the tests do from source).
const started = process.argv[1];
if (started !== undefined && import.meta.url === pathToFileURL(started).href) {
  process.exitCode = await main(process.argv.slice(2));
}
