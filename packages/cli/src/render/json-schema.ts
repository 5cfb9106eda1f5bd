import { JSON_SCHEMA_VERSION } from './output-json';

/**
 * The JSON Schema (draft-07) of what `pollinator --json` prints: one object
 * per line, each with `type`, `schemaVersion` and `time` (output-json.ts) and
 * the fields of its type. Committed as `packages/cli/schema/events.schema.json`
 * (`pnpm --filter @pollinator/cli generate:schema`; a test fails when it is
 * out of date) and published as `@pollinator/cli/events.schema.json`.
 *
 * Strict where Pollinator owns the shape: every type lists its fields and
 * refuses others, so a new field cannot ship undocumented. Open only where the
 * content belongs to someone else: the function spec (ColonyOS), a run
 * record's spec, an error's `details` (facts that vary by error code), and
 * the service/executor lifecycle events of `dev` and `executor start`.
 */

type Schema = Record<string, unknown>;

const string: Schema = { type: 'string' };
const integer: Schema = { type: 'integer' };
const count: Schema = { type: 'integer', minimum: 0 };
const number: Schema = { type: 'number' };
const boolean: Schema = { type: 'boolean' };
const ref = (name: string): Schema => ({ $ref: `#/definitions/${name}` });
const list = (items: Schema): Schema => ({ type: 'array', items });
const oneOfStrings = (...values: string[]): Schema => ({ type: 'string', enum: values });
const described = (schema: Schema, description: string): Schema => ({ ...schema, description });

/** An object; a key ending in `?` is optional. Closed unless `open`. */
function object(properties: Record<string, Schema>, options: { open?: boolean; description?: string } = {}): Schema {
  const required: string[] = [];
  const props: Record<string, Schema> = {};
  for (const [key, schema] of Object.entries(properties)) {
    const optional = key.endsWith('?');
    const name = optional ? key.slice(0, -1) : key;
    if (!optional) required.push(name);
    props[name] = schema;
  }
  return {
    type: 'object',
    ...(options.description === undefined ? {} : { description: options.description }),
    ...(required.length === 0 ? {} : { required }),
    properties: props,
    additionalProperties: options.open === true,
  };
}

const processId = described({ type: 'string', pattern: '^[0-9a-f]{64}$' }, 'A process id (64 hex digits).');
const state = oneOfStrings('waiting', 'running', 'success', 'failed', 'cancelled');
const target = oneOfStrings('src', 'data', 'result');
const syncCounts = object({ files: count, bytes: count });
/** `ProcessCause` of @pollinator/core: why the job failed, as its executor recorded it (issue #17). */
const processCause = object(
  {
    kind: oneOfStrings('succeeded', 'failed', 'out-of-memory', 'time-limit', 'node-failure', 'preempted', 'cancelled', 'could-not-start'),
    detail: described(string, 'One line: the cause with its details and what to do ("killed: out of memory (peak 15.8 GiB of 16 GiB requested) — raise conditions.mem").'),
  },
  { description: 'Why the job failed, as its executor recorded it (POLLINATOR_FAILURE_CAUSE, POLLINATOR_FAILURE_DETAIL).' },
);

const causeKind = oneOfStrings('succeeded', 'failed', 'out-of-memory', 'time-limit', 'node-failure', 'preempted', 'cancelled', 'could-not-start');
/** `ProcessAttempt` of @pollinator/core: one attempt of a run that was retried (issue #17). */
const processAttempt = object(
  {
    processId,
    attempt: described(count, '1-based; counts re-queues by the server of earlier attempts too.'),
    state,
    'cause?': causeKind,
    'causeText?': described(string, 'The executor\'s words for the cause, without the fix ("killed: node failure (nid007)").'),
    requeues: described(count, 'Re-queues by the server within this process (its exec deadline passed with the executor gone).'),
  },
  { description: 'One attempt of a run (each retry after a failure the executor saw is its own process, with its own log).' },
);

/** `ProcessQueue` of @pollinator/core: where a pending job waits in its scheduler's queue (issue #17). */
const processQueue = object(
  {
    reasonCode: described(string, "The scheduler's reason code as it spells it: Priority, Resources, PartitionDown, JobHeldUser, …"),
    reason: described(string, 'The reason in words ("Resources (waiting for nodes to become free)").'),
    'partition?': string,
    'position?': described(count, '1-based place among the pending jobs of the partition, by priority (ties: job id).'),
    'of?': described(count, 'How many jobs are pending in the partition, this one included.'),
    'estimatedStart?': described(string, "The scheduler's start estimate (`squeue --start`), ISO 8601 UTC."),
    'blocked?': described(string, 'Set when the job will not start unless someone acts: what is wrong and what to do.'),
  },
  { description: 'Where the job waits in the scheduler\'s queue while it is pending, as its executor recorded it (POLLINATOR_QUEUE).' },
);

/** `RunRecord` of @pollinator/core. */
const RUN_RECORD: Record<string, Schema> = {
  processId,
  projectName: string,
  state,
  'exitCode?': integer,
  submitted: string,
  'started?': string,
  'ended?': string,
  'executorName?': string,
  executorType: string,
  'srcSnapshotId?': string,
  'dataSnapshotId?': string,
  'resultSnapshotId?': string,
  'image?': string,
  'imageDigest?': string,
  'imageUsed?': boolean,
  'cliVersion?': string,
  'gitCommit?': string,
  'gitDirty?': boolean,
  'rerunOf?': processId,
  'cause?': ref('processCause'),
  spec: ref('functionSpec'),
  retries: count,
  errors: list(string),
};

const DEFINITIONS: Record<string, Schema> = {
  projectIssue: object(
    {
      file: string,
      line: integer,
      column: integer,
      path: string,
      code: oneOfStrings('yaml', 'unknown_key', 'missing_key', 'invalid_value', 'missing_file', 'limit', 'truncated', 'warning'),
      message: string,
      'found?': string,
      'allowed?': string,
      'suggestion?': string,
    },
    { description: 'One project.yaml problem, with where it is (the `issues` of @pollinator/core).' },
  ),
  runResult: object(
    {
      'processId?': processId,
      state: oneOfStrings('waiting', 'running', 'success', 'failed', 'cancelled', 'dry-run', 'not-submitted'),
      exitCode: integer,
      detached: boolean,
      'error?': object({ code: string, message: string }),
    },
    { description: 'How a run (or a follow) ended; `exitCode` is the command\'s exit status.' },
  ),
  processCause,
  processAttempt,
  processQueue,
  functionSpec: { type: 'object', description: 'A ColonyOS function spec (docs/project-yaml.md lists how project.yaml maps to it).' },
  runRecord: object(RUN_RECORD, { description: 'What a run was: its inputs (snapshots, image, commit), where and when it ran, how it ended (docs/runs.md).' }),
};

/** Every `type` and its fields (besides the envelope). */
const EVENTS: Record<string, { description: string; properties: Record<string, Schema>; open?: boolean }> = {
  // ---- run, plan, logs --follow, pull, rerun: the events of @pollinator/core
  'project.loaded': { description: 'project.yaml was read.', properties: { dir: string, projectName: string, warnings: list(string), issues: list(ref('projectIssue')) } },
  'sync.plan': {
    description: 'What a sync of cfs/<target> will do (every file in a dry run).',
    properties: {
      target,
      dir: string,
      label: string,
      upload: syncCounts,
      download: syncCounts,
      conflict: syncCounts,
      unchanged: syncCounts,
      stale: described(syncCounts, 'Conflicts whose remote side changed since this machine last synced them (a run stops: REMOTE_CHANGED, unless --force).'),
      ignored: count,
      'entries?': list(object({ path: string, action: string, size: count, reason: string, 'code?': string })),
    },
  },
  'sync.symlinks': {
    description: 'Symbolic links the sync did not follow, each with why and how to opt in.',
    properties: { target, dir: string, policy: oneOfStrings('skip', 'inside', 'follow'), skipped: list(object({ path: string, target: string, why: string, reason: string })) },
  },
  'sync.progress': {
    description: 'Transfer progress of a sync.',
    properties: { target, filesDone: count, filesTotal: count, bytesDone: count, bytesTotal: count, bytesPerSecond: number, etaSeconds: { type: ['number', 'null'] } },
  },
  'sync.file': { description: 'One file moved.', properties: { target, path: string, action: oneOfStrings('upload', 'download'), size: count, 'backup?': string } },
  'sync.done': { description: 'A sync finished.', properties: { target, uploaded: syncCounts, downloaded: syncCounts, unchanged: count, durationMs: number } },
  'snapshot.created': { description: 'A label was frozen (src and data at submit).', properties: { target, snapshotId: string, name: string, label: string, files: count } },
  'spec.built': { description: 'The function spec to submit (`funcspec`, and `run`/`plan` before submitting).', properties: { spec: ref('functionSpec') } },
  'process.submitted': { description: 'The job was submitted.', properties: { processId, colonyName: string } },
  'process.state': { description: 'The process changed state.', properties: { processId, state, errors: list(string), retries: count, 'cause?': ref('processCause'), 'queue?': ref('processQueue') } },
  'process.retried': {
    description: 'A followed attempt failed and its executor submitted the next (retries, docs/runs.md): `run` follows `retryProcessId` from now on.',
    properties: {
      processId: described(processId, 'The attempt that failed.'),
      retryProcessId: described(processId, 'The next attempt.'),
      attempt: described(count, 'Which attempt `retryProcessId` is (2 for the first retry).'),
      attempts: described(count, 'Attempts the spec allows (the first and `retries` more).'),
      'cause?': causeKind,
      'causeText?': string,
    },
  },
  log: {
    description: 'Log text of a process, verbatim (with --tail/--grep: one line each).',
    properties: {
      processId,
      message: string,
      timestamp: described({ type: 'string', pattern: '^[0-9]+$' }, 'Server time, Unix nanoseconds (a string: exact int64).'),
      executorName: string,
      'origin?': described(oneOfStrings('job', 'executor'), 'Who wrote it: the job, or the executor (`ContainerExecutor: …`, `Pollinator: …`, `ColonyOS: …`).'),
    },
  },
  'result.synced': {
    description: 'cfs/result was downloaded.',
    properties: {
      dir: string,
      label: string,
      source: {
        oneOf: [
          object({ kind: { const: 'snapshot' }, snapshotId: string, processId }),
          object({ kind: { const: 'label' }, label: string, fallback: boolean }),
        ],
      },
      downloaded: syncCounts,
      backups: list(object({ path: string, backup: string })),
      skipped: list(object({ path: string, reason: string })),
    },
  },
  warning: { description: 'Something to know; the command goes on.', properties: { 'code?': string, message: string } },
  error: {
    description: 'Why the command failed: a stable `code`, the exit status, what to do (`fix`), and structured facts (`issues` for project.yaml, `details`).',
    properties: {
      code: string,
      message: string,
      exitCode: integer,
      'why?': string,
      'fix?': string,
      'issues?': list(ref('projectIssue')),
      'details?': {
        description: 'Facts for a program: an object (e.g. REMOTE_CHANGED: {files: [{target, path, localSize, remoteSize, remoteAdded?}]}) or detail lines.',
        anyOf: [{ type: 'object' }, list(string)],
      },
    },
  },
  done: { description: 'The last event of a run or follow.', properties: { result: ref('runResult') } },
  // ---- the other commands
  process: {
    description: '`ps` (one per process, newest first) and `status`.',
    properties: {
      processId,
      state,
      label: string,
      funcName: string,
      executorType: string,
      submissionTime: string,
      startTime: string,
      endTime: string,
      retries: count,
      errors: list(string),
      'exitCode?': integer,
      'cause?': ref('processCause'),
      'queue?': ref('processQueue'),
      'attempts?': described(list(ref('processAttempt')), '`status` of a retried run: every attempt, first to last (this process among them).'),
      'attemptsAllowed?': described(count, '`status` of a retried run: the first attempt and `retries` more.'),
    },
  },
  'unreadable-process': { description: '`ps`: a process the client could not decode.', properties: { 'processId?': string, state, reason: string } },
  'process.cancel-requested': { description: '`cancel`: the cancel was sent.', properties: { processId } },
  'project.created': { description: '`new`: the files written.', properties: { dir: string, projectName: string, files: list(string) } },
  executor: {
    description: '`executors`: one per executor; `canRun` when run in a project directory.',
    properties: { name: string, executorType: string, id: string, state: oneOfStrings('pending', 'approved', 'rejected', 'unregistered'), lastHeardFrom: string, location: string, 'canRun?': boolean, 'reason?': string },
  },
  version: { description: '`version`.', properties: { pollinator: string, node: string, platform: string } },
  config: {
    description: '`config`: the configuration in effect, secrets masked.',
    properties: {
      mode: oneOfStrings('embedded', 'colony'),
      'server?': string,
      'colonyName?': string,
      profile: { type: ['object', 'null'] },
      profilesDir: string,
      profiles: { type: 'array' },
      dataDir: string,
      variables: list(object({ name: string, value: string, secret: boolean, source: string })),
      'unknownVariables?': described(list(object({ name: string, 'suggestion?': string })), 'Variables pollinator does not read (typos?), with the one probably meant.'),
    },
  },
  'run.record': { description: '`show`: the record of a run (docs/runs.md).', properties: RUN_RECORD },
  'run.diff': {
    description: '`diff`: what differs between two runs.',
    properties: {
      a: ref('runRecord'),
      b: ref('runRecord'),
      spec: { type: 'array' },
      src: { type: 'object' },
      data: { type: 'object' },
      image: { type: 'object' },
      imageDigest: { type: 'object' },
      exitCode: { type: 'object' },
      durationMs: object({ 'a?': number, 'b?': number }),
    },
  },
  gc: { description: '`gc`: what was (or would be) removed.', properties: { mode: string, dryRun: boolean }, open: true },
  'plan.check': {
    description: '`plan --check`: the executor\'s preflight answer (`answered`), a preflight it failed (`failed`), or none in time (`no-answer`).',
    properties: {
      result: oneOfStrings('answered', 'failed', 'no-answer'),
      processId,
      ok: boolean,
      message: string,
      'backend?': string,
      'checked?': described(boolean, 'False when the backend has no scheduler to ask (local): the answer only says the spec is valid for it.'),
      'earliestStart?': described(string, 'The scheduler\'s estimate of the earliest start (Slurm: `sbatch --test-only`).'),
      'waitedSeconds?': count,
    },
  },
  // ---- forward, and run with a tunnel block (docs/interactive-jobs.md)
  'forward.listening': {
    description: '`forward`, `run` with `tunnel:`: the forward listens on 127.0.0.1 (`url`) and reaches `remotePort` of the job.',
    properties: {
      processId,
      url: string,
      localPort: { type: 'integer', minimum: 1, maximum: 65_535 },
      remotePort: { type: 'integer', minimum: 1, maximum: 65_535 },
      mode: oneOfStrings('forward', 'ssh'),
      'host?': described(string, 'SSH mode: the node the tunnel reaches (the first of the job\'s NODES).'),
    },
  },
  'forward.closed': {
    description: '`forward`: it ended normally (the job finished, or Ctrl-C); a failure is an `error` line instead.',
    properties: {
      processId,
      reason: oneOfStrings('interrupted', 'process-ended', 'closed'),
      message: string,
      exitCode: integer,
      'state?': described(string, 'The process\'s state when it ended the forward (successful, failed, cancelled).'),
    },
  },
  'forward.waiting': { description: '`forward`: the job is not running yet (`state`); the forward opens once it is.', properties: { processId, state: string } },
  'forward.connection': { description: '`forward`: a local connection was accepted (`connection` numbers it).', properties: { processId, connection: count } },
  'forward.connection-opened': { description: '`forward`: the executor connected that connection to the job\'s port.', properties: { processId, connection: count } },
  'forward.connection-closed': { description: '`forward`: a connection ended; `reason` when it did not close cleanly.', properties: { processId, connection: count, 'reason?': string } },
  'forward.refused': { description: '`forward`: a connection was refused (the job does not listen, too many connections); `reason` says why.', properties: { processId, connection: count, reason: string } },
  'forward.notice': { description: '`forward`, `run` with `tunnel:`: something to know while the forward runs (rate limited, the SSH host key accepted).', properties: { processId, message: string } },
  // ---- dev and executor start: lifecycle events of long-running commands
  'ui.ready': {
    description: '`ui`: the dashboard listens; `url` is the link to open (it carries the session token).',
    properties: { url: string, port: { type: 'integer', minimum: 1, maximum: 65_535 }, colonyName: string },
  },
  'ui.stopped': { description: '`ui`: the dashboard stopped (Ctrl-C).', properties: {} },
  'dev.ready': {
    description: '`dev`, `dev --service`: the embedded colony is up; `dashboardUrl` is the link to its dashboard (with the session token).',
    properties: { url: string, colonyName: string, 'dashboardUrl?': string },
    open: true,
  },
  'dev.status': { description: '`dev status`.', properties: { running: boolean }, open: true },
  'dev.stopped': { description: '`dev`, `dev stop`: the embedded colony stopped.', properties: {}, open: true },
  'executor.ready': { description: '`executor start`: registered and taking jobs.', properties: { name: string, backend: string, colonyName: string }, open: true },
  'executor.stopped': { description: '`executor start`: stopped.', properties: {}, open: true },
  // ---- executor warm / images: the Slurm executor's image cache (docs/slurm.md, "Images")
  'image.warmed': {
    description: '`executor warm`: the image is in the cache (`pulled`: this command pulled it; false: it was cached). `digest` is the sha256 of the SIF file.',
    properties: { image: string, path: string, pulled: boolean, 'digest?': string, sizeBytes: count, seconds: number },
  },
  'image.warm-failed': { description: '`executor warm`: the image could not be pulled (`message` quotes the runtime); the command goes on with the next one and exits 1.', properties: { image: string, message: string } },
  image: {
    description: '`executor images`: one cached image. `reference` is missing for a file an older version pulled; `inUse`: a queued or running job needs it (never pruned).',
    properties: { file: string, path: string, 'reference?': string, 'digest?': string, sizeBytes: count, pulledAt: string, lastUsedAt: string, inUse: boolean },
  },
  'image.removed': {
    description: '`executor images --prune`: an image removed (the fields of `image`).',
    properties: { file: string, path: string, 'reference?': string, 'digest?': string, sizeBytes: count, pulledAt: string, lastUsedAt: string, inUse: boolean },
  },
  'images.pruned': {
    description: '`executor images --prune`: the summary, after the `image.removed` events.',
    properties: { removed: count, kept: count, keptInUse: count, freedBytes: count },
  },
  ...Object.fromEntries(
    ['registered', 'assigned', 'job.started', 'job.reattached', 'job.finished', 'process.closed', 'process.abandoned', 'process.retried', 'forward', 'warning', 'shutdown'].map((name) => [
      `executor.${name}`,
      { description: `\`executor start\`, \`dev\`: the executor's \`${name}\` event.`, properties: {}, open: true },
    ]),
  ),
};

const ENVELOPE: Record<string, Schema> = {
  schemaVersion: described({ const: JSON_SCHEMA_VERSION }, 'Version of this contract; changes only for an incompatible change.'),
  time: described({ type: 'string', format: 'date-time' }, 'When the line was written (RFC 3339, UTC, milliseconds).'),
};

/** The schema of one line of `--json` output. */
export function eventsJsonSchema(): Schema {
  const types = Object.keys(EVENTS);
  const definitions: Record<string, Schema> = { ...DEFINITIONS };
  for (const [type, event] of Object.entries(EVENTS)) {
    definitions[type] = object({ type: { const: type }, ...ENVELOPE, ...event.properties }, { open: event.open, description: event.description });
  }
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://github.com/pollinator-dev/pollinator/blob/main/packages/cli/schema/events.schema.json',
    title: 'pollinator --json output',
    description:
      'One JSON object per line on stdout. Every line has `type`, `schemaVersion` and `time`; the other fields depend on `type`. docs/cli.md ("Machine-readable output") describes the contract.',
    type: 'object',
    required: ['type', 'schemaVersion', 'time'],
    properties: { type: oneOfStrings(...types), ...ENVELOPE },
    allOf: types.map((type) => ({ if: { properties: { type: { const: type } }, required: ['type'] }, then: ref(type) })),
    definitions,
  };
}

/** The file contents of `schema/events.schema.json`. */
export function eventsJsonSchemaText(): string {
  return `${JSON.stringify(eventsJsonSchema(), null, 2)}\n`;
}
