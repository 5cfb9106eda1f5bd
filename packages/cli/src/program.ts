import { Argument, Command, Option } from 'commander';
import type { CommandContext, GlobalOptions } from './context';
import { VERSION } from './version';

/**
 * The command tree. Only commander is loaded here: every command's
 * implementation lives in `commands/<name>.ts` and is imported when that
 * command runs, so `pollinator --help` stays fast.
 */

export type CommandResult = number | void;
// Each command declares its own positional and option types; commander checks them at parse time.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type CommandRunner = (context: CommandContext, ...args: any[]) => Promise<CommandResult>;
type Loader = () => Promise<{ run: CommandRunner }>;

export interface ProgramHooks {
  /** Runs a command implementation with the parsed global options. */
  invoke(load: Loader, globals: GlobalOptions, args: unknown[]): Promise<void>;
}

function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => (line.startsWith('#') ? `  ${line}` : `  $ ${line}`)).join('\n')}\n`;
}

const STATES = ['waiting', 'running', 'success', 'failed', 'cancelled'];

export function createProgram(hooks: ProgramHooks): Command {
  const program = new Command('pollinator');

  function action(command: Command, load: Loader): Command {
    return command.action(async (...received: unknown[]) => {
      const self = received.at(-1) as Command;
      const globals = self.optsWithGlobals<GlobalOptions>();
      // commander passes: positional arguments…, options object, the command.
      const args = received.slice(0, -1);
      await hooks.invoke(load, globals, args);
    });
  }

  program
    .description(
      'Run batch jobs on Slurm and Kubernetes through ColonyOS. Your code and data\n' +
        'go up, the job runs, its logs stream back, its results land in cfs/result/.\n' +
        'With no colony configured, everything runs on this machine.',
    )
    .usage('<command> [options]')
    .version(VERSION, '-V, --version', 'print the version')
    .option('--json', 'machine-readable output: NDJSON events and results on stdout')
    .option('-v, --verbose', 'debug detail, and a stack trace with errors')
    .option('--no-color', 'no colours (also NO_COLOR=1)')
    .option('-C, --cwd <dir>', 'run as if started in <dir>')
    .option('--profile <name>', 'read configuration from a profile file (name or path)')
    .helpOption('-h, --help', 'show help')
    .helpCommand('help [command]', 'show help for a command')
    .showSuggestionAfterError(true)
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .addHelpText(
      'after',
      examples(
        'pollinator new demo && cd demo',
        'pollinator run                      # upload, run, stream logs, download results',
        'pollinator plan                     # what would be uploaded, and the job spec',
        'pollinator run --detach && pollinator logs <id> --follow',
        'pollinator dev                      # keep the embedded colony running',
      ) +
        '\nConfiguration: COLONIES_* / AWS_S3_* environment variables or a profile; `pollinator config` shows\n' +
        'what is in effect. Docs: https://github.com/pollinator-dev/pollinator/tree/main/docs\n',
    );

  action(
    program
      .command('new')
      .description('create a project: project.yaml, cfs/src/main.py, cfs/data/hello.txt')
      .argument('[dir]', 'directory to create the project in', '.')
      .option('-n, --executor <name>', 'executor name to target (conditions.executorNames)')
      .option('--name <projectname>', 'project name (default: the directory name plus 6 random hex digits)')
      .option('-f, --force', 'write into a non-empty directory (existing files are kept)')
      .addHelpText('after', examples('pollinator new demo', 'pollinator new . -n my-slurm-executor')),
    () => import('./commands/new'),
  );

  action(
    program
      .command('run')
      .description('upload, run the job, stream its logs, download cfs/result (exits with the job\'s code)')
      .option('-d, --detach', 'return after submitting (prints the process id)')
      .option('--dry-run', 'show the sync plan and the job spec; change nothing (same as `plan`)')
      .option('--cancel-on-interrupt', 'Ctrl-C cancels the job instead of detaching from it')
      .option('--force', 'upload local files even where the remote copy changed since your last sync')
      .option('--notify <url>', 'when the run ends, POST a summary to this webhook or ntfy-style URL')
      .option('--accept-host-key <fingerprint>', 'tunnel in SSH mode: trust the jump host\'s key with this SHA256:… fingerprint')
      .addHelpText(
        'after',
        examples(
          'pollinator run',
          'pollinator run --detach',
          'pollinator run --json | jq -c \'select(.type == "log")\'',
          '# With `tunnel: {port: 8888}` in project.yaml, run prints http://127.0.0.1:8888 once the job runs.',
          '# Exit status: the job\'s own exit code; 65 invalid project, 74 sync failed, 77 rejected,',
          '# 124 time limit, 130 cancelled (docs/cli.md lists them all).',
        ),
      ),
    () => import('./commands/run'),
  );

  action(
    program
      .command('plan')
      .description('show what `run` would upload and submit, changing nothing (= run --dry-run)')
      .option('-a, --all', 'also list unchanged files')
      .option('--force', 'plan as `run --force` would: local copies win over newer remote ones')
      .option('--check', 'then ask the executor that would run the job whether it could (Slurm: sbatch --test-only), running nothing')
      .option('--wait <seconds>', 'with --check: how long to wait for an executor to answer (default 30)')
      .addHelpText(
        'after',
        examples(
          'pollinator plan',
          'pollinator plan --json',
          'pollinator plan --check          # exit 0: it can run; 65: the executor refuses it; 69: no executor answered',
        ),
      ),
    () => import('./commands/plan'),
  );

  action(
    program
      .command('logs')
      .description('print a process\'s logs')
      .argument('<id>', 'process id, a unique prefix of one, or @last')
      .option('-f, --follow', 'keep streaming until the process ends')
      .option('--tail <lines>', 'only the last <lines> lines')
      .option('--since <time>', 'only lines after this time (RFC 3339) or this long ago (10m, 2h)')
      .option('--grep <pattern>', 'only lines matching this regular expression')
      .addHelpText('after', examples('pollinator logs 7f3c…', 'pollinator logs 7f3c… --follow')),
    () => import('./commands/logs'),
  );

  action(
    program
      .command('status')
      .description('show a process: state, function and executor type, times, exit code')
      .argument('<id>', 'process id, a unique prefix of one, or @last')
      .addHelpText('after', examples('pollinator status 7f3c…', 'pollinator status 7f3c… --json')),
    () => import('./commands/status'),
  );

  action(
    program
      .command('ps')
      .description('list processes, newest first (inside a project directory: that project\'s, unless --all)')
      .addOption(new Option('-s, --state <state...>', 'only processes in these states').choices(STATES))
      .option('-n, --limit <count>', 'at most this many (1–100), newest first', '20')
      .option('--project <name>', 'only processes of this project (its projectname)')
      .option('-a, --all', 'every project\'s processes, also inside a project directory')
      .addHelpText('after', examples('pollinator ps', 'pollinator ps --state running waiting', 'pollinator ps --json')),
    () => import('./commands/ps'),
  );

  action(
    program
      .command('cancel')
      .description('cancel a process (the executor stops its job)')
      .argument('<id>', 'process id, a unique prefix of one, or @last')
      .option('-w, --wait', 'wait until the process has stopped')
      .addHelpText('after', examples('pollinator cancel 7f3c…', 'pollinator cancel 7f3c… --wait')),
    () => import('./commands/cancel'),
  );

  action(
    program
      .command('forward')
      .description('reach a port of a running job from this machine (127.0.0.1), through the colony: no SSH keys')
      .argument('<id>', 'process id, a unique prefix of one, or @last')
      .argument('<port>', '[localPort:]remotePort: the job\'s port, optionally after a local one (0: any free port)')
      .addHelpText(
        'after',
        '\nThe job must allow the port: add `tunnel: {port: 8888}` to project.yaml and run it (`run` then opens\n' +
          'the forward itself). Only the user who submitted a job can forward to it. Runs until Ctrl-C or the\n' +
          'job ends; exits 0 then (1 when the job failed). For interactive traffic (a notebook, a dashboard):\n' +
          'docs/interactive-jobs.md lists the limits.\n' +
          examples(
            'pollinator run --detach                 # a project.yaml with tunnel: {port: 8888}',
            'pollinator forward @last 8888           # http://127.0.0.1:8888 → port 8888 of the job',
            'pollinator forward 3f2a 18888:8888      # another local port (0:8888: any free one)',
            'pollinator forward @last 8888 -v        # also show each connection',
          ),
      ),
    () => import('./commands/forward'),
  );

  action(
    program
      .command('pull')
      .description('download a run\'s results into cfs/result (downloads only; never uploads)')
      .argument('[id]', 'process id, a unique prefix of one, or @last (default: the project\'s last run)')
      .option('--inputs', 'instead download the remote cfs/src and cfs/data (local edits kept as backups)')
      .addHelpText('after', examples('pollinator pull', 'pollinator pull 7f3c', 'pollinator pull --inputs')),
    () => import('./commands/pull'),
  );

  action(
    program
      .command('rerun')
      .description('run a past run again: the same spec, the same src and data snapshots, from any directory')
      .argument('<id>', 'process id, a unique prefix of one, or @last')
      .option('-d, --detach', 'return after submitting (prints the process id)')
      .option('--cancel-on-interrupt', 'Ctrl-C cancels the job instead of detaching from it')
      .option('-o, --output <dir>', 'where the results go (default: cfs/result of the project directory you are in)')
      .addHelpText('after', examples('pollinator rerun @last', 'pollinator rerun 7f3c --detach')),
    () => import('./commands/rerun'),
  );

  action(
    program
      .command('show')
      .description('show the record of a run: times, executor, exit, snapshots, image digest, commit')
      .argument('<id>', 'process id, a unique prefix of one, or @last')
      .addHelpText('after', examples('pollinator show @last', 'pollinator show 7f3c --json')),
    () => import('./commands/show'),
  );

  action(
    program
      .command('diff')
      .description('compare two runs: spec, src and data files, image digest, exit codes, durations')
      .argument('<a>', 'process id, a unique prefix of one, or @last')
      .argument('<b>', 'process id, a unique prefix of one, or @last')
      .addHelpText('after', examples('pollinator diff 7f3c 9a01', 'pollinator diff 7f3c @last --json')),
    () => import('./commands/diff'),
  );

  action(
    program
      .command('gc')
      .description('free disk space: unreferenced blobs, staging of finished jobs, old snapshots and logs')
      .option('--dry-run', 'only print what would be removed')
      .option('-y, --yes', 'do not ask for confirmation (a real colony asks otherwise)')
      .option('--keep-last <runs>', 'keep each project\'s newest <runs> runs and what they reference', '5')
      .option('--keep-days <days>', 'keep runs (and snapshots) from the last <days> days', '7')
      .addHelpText(
        'after',
        examples(
          'pollinator gc --dry-run',
          'pollinator gc',
          'pollinator gc --keep-last 1 --keep-days 0   # keep only each project\'s last run',
          '# Embedded default: unreferenced blobs, staging of finished jobs, old runs with their logs and',
          '# snapshots. A real colony: only your own old runs of this project and their snapshots (asks first).',
        ),
      ),
    () => import('./commands/gc'),
  );

  action(
    program
      .command('executors')
      .description('list executors and which of them can run this project')
      .addHelpText('after', examples('pollinator executors', 'pollinator executors --json')),
    () => import('./commands/executors'),
  );

  action(
    program
      .command('funcspec')
      .description('print the function spec this project submits (uploads nothing)')
      .addHelpText('after', examples('pollinator funcspec', 'pollinator funcspec > spec.json')),
    () => import('./commands/funcspec'),
  );

  action(
    program
      .command('ui')
      .description('the web dashboard on 127.0.0.1: runs, live logs, results, executors, files (keys stay in the serving process, never in the browser)')
      .option('-p, --port <port>', 'port to listen on (127.0.0.1; 0: any free port)', '0')
      .option('--open', 'open the link in the browser (xdg-open, open or start)')
      .addHelpText(
        'after',
        '\nPrints http://127.0.0.1:PORT/?token=…: the token is this session\'s key to the dashboard (docs/dashboard.md).\n' +
          examples('pollinator ui', 'pollinator ui --open', 'pollinator ui --port 8080 --json'),
      ),
    () => import('./commands/ui'),
  );

  action(
    program
      .command('dev')
      .description('run the embedded colony (server + local executor) in the foreground; `dev status|stop`: its background service')
      .argument('[action]', 'status: is it running, where, its jobs, when it stops itself; stop: stop it')
      .option('-p, --port <port>', 'port to listen on (127.0.0.1)', '0')
      .option('--no-executor', 'run the server only')
      .option('--concurrency <n>', 'jobs run side by side (default: half the CPUs, at least 2)')
      // Not `--env-file`: Node 20 reads that flag anywhere on its command line, even after the script.
      .option('--write-env <path>', 'also write the COLONIES_* environment (and POLLINATOR_BLOB_DIR) to this file')
      .option('--force', '`dev stop`: stop even with jobs running (they keep running; the next start re-attaches)')
      // What commands start on demand (detached, output to <data dir>/embedded/service.log); stops itself when idle.
      .addOption(new Option('--service', 'run as the background service').hideHelp())
      .addHelpText(
        'after',
        examples(
          'pollinator dev',
          'pollinator dev --port 50080 --write-env colonies.env',
          '# in another terminal, other tools can use it:',
          'set -a; . colonies.env; set +a; colonies process ps',
          '# the background service other commands start on demand:',
          'pollinator dev status',
          'pollinator dev stop',
        ),
      ),
    () => import('./commands/dev'),
  );

  const executor = program
    .command('executor')
    .description('run an executor that takes jobs from the colony')
    .addHelpText('after', examples('pollinator executor start --backend local'));
  action(
    executor
      .command('start')
      .description('run an executor in the foreground until Ctrl-C / SIGTERM')
      .addOption(new Option('-b, --backend <backend>', 'where jobs run').choices(['local', 'slurm', 'k8s']).default('local'))
      .option('--name <name>', 'executor name (default: COLONIES_EXECUTOR_NAME or <hostname>-<backend>)')
      .option('--type <type>', 'executor type (default: COLONIES_EXECUTOR_TYPE or container-executor)')
      .option('--concurrency <n>', 'jobs run at the same time', '1')
      .option('--fs-dir <dir>', 'where CFS files are staged for jobs (default: under the data directory)')
      .addHelpText(
        'after',
        '\nIdentity: COLONIES_COLONY_PRVKEY registers the executor (and removes it on exit);\n' +
          'otherwise COLONIES_PRVKEY must be an executor registered beforehand. Slurm settings:\n' +
          'POLLINATOR_SLURM_{RUNTIME,IMAGE_DIR,PARTITION,ACCOUNT,QOS}; Kubernetes: POLLINATOR_K8S_*\n' +
          '(docs/running-an-executor.md).\n',
      )
      .option('--state-dir <dir>', 'where running jobs are recorded for re-attach after a restart')
      .addHelpText(
        'after',
        examples(
          'pollinator executor start --backend local',
          'COLONIES_COLONY_PRVKEY=… pollinator executor start --backend slurm --name hpc1',
        ),
      ),
    () => import('./commands/executor-start'),
  );
  action(
    executor
      .command('warm')
      .description('pull container images into the Slurm executor\'s cache on this login node, before jobs ask for them')
      .argument('<image...>', 'image references (python:3.12-slim, ghcr.io/org/img:1, name@sha256:…)')
      .option('--name <name>', 'the executor whose cache it is (default: COLONIES_EXECUTOR_NAME or <hostname>-slurm)')
      .option('--rebuild', 'pull again even when cached (replaces the file; running jobs keep the old one)')
      .addHelpText('after', examples('pollinator executor warm python:3.12-slim ghcr.io/org/train:2', 'pollinator executor warm --name hpc1 --json busybox')),
    () => import('./commands/executor-warm'),
  );
  action(
    executor
      .command('images')
      .description('list the Slurm executor\'s cached images (reference, digest, size, last use), or prune them')
      .option('--name <name>', 'the executor whose cache it is (default: COLONIES_EXECUTOR_NAME or <hostname>-slurm)')
      .option('--prune', 'remove the images no queued or running job needs')
      .option('--older-than <age>', 'with --prune: only those not used for this long (30d, 12h, 90m)')
      .addHelpText('after', examples('pollinator executor images', 'pollinator executor images --prune --older-than 30d', 'pollinator executor images --json')),
    () => import('./commands/executor-images'),
  );

  action(
    program
      .command('config')
      .description('show the configuration in effect, secrets masked')
      .addHelpText('after', examples('pollinator config', 'pollinator --profile prod config', 'pollinator config --json')),
    () => import('./commands/config'),
  );

  action(
    program
      .command('completion')
      .description('print a shell completion script')
      .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(['bash', 'zsh', 'fish']))
      .addHelpText('after', examples('pollinator completion bash >> ~/.bashrc', 'pollinator completion fish > ~/.config/fish/completions/pollinator.fish')),
    () => import('./commands/completion'),
  );

  action(
    program.command('version').description('print version information').addHelpText('after', examples('pollinator version --json')),
    () => import('./commands/version'),
  );

  return program;
}
