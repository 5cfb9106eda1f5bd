import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bwrapUsable } from '@pollinator/local';
import { createSandbox, runCli, type Sandbox } from './cli-harness';
import { createProject } from './project-fixture';

// Issue #13 case 7 through the real binary: a job run by the embedded
// default cannot read the dev-server's identities.json (every key of the
// embedded colony) nor anything else of pollinator's data directory. The data
// directory is put outside /tmp on purpose: the sandbox gives each job its own
// /tmp, which would hide a data directory there even without protectedPaths.

const bwrapMissing = !(await bwrapUsable());

let sandbox: Sandbox;
let dataDir: string;
beforeEach(() => {
  sandbox = createSandbox();
  dataDir = mkdtempSync(join('/var/tmp', 'pollinator-cli-isolation-'));
});
afterEach(() => {
  sandbox.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
});

const probe = (data: string) => `import os
targets = [${JSON.stringify(join(data, 'embedded', 'server', 'identities.json'))}, ${JSON.stringify(data)}]
for target in targets:
    if os.path.isfile(target):
        print("LEAKED file", target, open(target).read()[:40], flush=True)
    elif os.path.isdir(target):
        print("LEAKED listing", target, os.listdir(target), flush=True)
    else:
        print("hidden", target, flush=True)
try:
    open(${JSON.stringify(join(data, 'planted'))}, "w").write("x")
    print("PLANTED", flush=True)
except OSError as error:
    print("cannot plant:", error.strerror, flush=True)
`;

describe.skipIf(bwrapMissing)('a job on the embedded default (bubblewrap)', () => {
  it("cannot read identities.json or anything else of pollinator's data directory", { timeout: 150_000 }, async () => {
    const env = { ...sandbox.env, POLLINATOR_DATA_DIR: dataDir };
    const dir = await createProject(sandbox, 'probe', { mainPy: probe(dataDir) });
    const result = await runCli(['run'], { cwd: dir, env, timeoutMs: 120_000 });
    expect(result.code, result.stderr).toBe(0);
    // The server really keeps its identities there: the job just does not see them.
    expect(existsSync(join(dataDir, 'embedded', 'server', 'identities.json'))).toBe(true);
    expect(result.stdout).toContain(`hidden ${join(dataDir, 'embedded', 'server', 'identities.json')}`);
    expect(result.stdout).toContain(`hidden ${dataDir}`);
    expect(result.stdout).not.toMatch(/LEAKED|PLANTED/);
    expect(readdirSync(dataDir)).not.toContain('planted');
  });
});
