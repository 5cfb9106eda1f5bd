/**
 * The local backend's preflight on this machine: plain processes need
 * nothing; required bubblewrap that is missing, a container client that is
 * not installed, and an engine that does not answer are refused with the
 * reason and what to do.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BackendPreflightError } from '@pollinator/backend';
import { createLocalBackend } from './local-backend';

const root = mkdtempSync(join(tmpdir(), 'pollinator-local-preflight-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The preflight's refusal (fails the test when it passes). */
async function refusal(check: Promise<void>): Promise<BackendPreflightError> {
  try {
    await check;
  } catch (error) {
    if (BackendPreflightError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('the preflight passed');
}

function installed(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('local preflight', () => {
  it('passes for plain processes with path rewriting (nothing to check)', async () => {
    await expect(createLocalBackend({ mode: 'process', isolation: 'rewrite', onWarning: () => undefined }).preflight!()).resolves.toBeUndefined();
  });

  it('refuses required bubblewrap that is not installed', async () => {
    const bwrapPath = join(root, 'no-bwrap');
    const error = await refusal(createLocalBackend({ mode: 'process', isolation: 'bwrap', bwrapPath }).preflight!());
    expect(error.message).toBe(`isolation 'bwrap' requested but ${bwrapPath} is missing or cannot create namespaces (install bubblewrap)`);
    expect(error.fix).toContain('POLLINATOR_LOCAL_ISOLATION=auto');
    expect(error.backend).toBe('local');
  });

  it.skipIf(!installed('bwrap'))('passes with required bubblewrap where it works', async () => {
    await expect(createLocalBackend({ mode: 'process', isolation: 'bwrap' }).preflight!()).resolves.toBeUndefined();
  });

  it('refuses the docker mode when the docker client is not installed', async () => {
    const containerCommand = join(root, 'no-docker');
    const error = await refusal(createLocalBackend({ mode: 'docker', containerCommand }).preflight!());
    expect(error.message).toBe(`the docker mode needs the docker client, and ${containerCommand} is not installed (not on the PATH)`);
    expect(error.fix).toMatch(/^Install Docker/);
  });

  it.skipIf(!installed('docker'))('refuses the docker mode when the engine does not answer', async () => {
    const saved = process.env.DOCKER_HOST;
    // The real client, pointed at a socket nobody serves.
    process.env.DOCKER_HOST = `unix://${join(root, 'no-engine.sock')}`;
    try {
      const error = await refusal(createLocalBackend({ mode: 'docker' }).preflight!());
      expect(error.message).toMatch(/^the Docker engine does not answer \(docker version --format \{\{\.Server\.Version\}\}\): .*no-engine\.sock/);
      expect(error.fix).toMatch(/^Start the Docker daemon/);
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
  });
});
