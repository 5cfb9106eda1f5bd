import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseProject } from './parse-project';

/**
 * The project.yaml files the original Go Pollinator writes (`pollinator new`)
 * and ships (its only example), verbatim (`__fixtures__/go-pollinator/`,
 * copied from the conformance recordings). They must load as they are.
 */
const fixture = (name: string) => readFileSync(join(import.meta.dirname, '__fixtures__', 'go-pollinator', name), 'utf8');

function parsed(name: string) {
  const result = parseProject(fixture(name), { file: name });
  if (!result.ok) throw new Error(`${name} did not load:\n${result.issues.map((issue) => `${issue.path}: ${issue.message}`).join('\n')}`);
  return result;
}

describe('project.yaml files written by the original Go Pollinator', () => {
  it('loads what `pollinator new` writes, `tunnel: null` included, with no warnings', () => {
    const result = parsed('new-project.yaml');
    expect(result.warnings).toEqual([]);
    expect(result.project.projectName).toBe('0a583b8d1d38242a856483b8b613a2528a114101ffb8c2782e7fe5047dbbab3f');
    expect(result.project.tunnel).toBeUndefined();
    expect(result.project.environment).toMatchObject({
      docker: 'python:3.12-rc-bookworm',
      initCmd: 'pip3 install numpy',
      cmd: 'python3',
      source: 'main.py',
    });
    expect(result.project.conditions.executorNames).toEqual(['fixture-go-none']);
  });

  it('loads the Jupyter example with its SSH tunnel block (trailing spaces dropped as YAML does)', () => {
    const result = parsed('jupyter_with_tunnel.project.yaml');
    expect(result.project.conditions.executorNames).toEqual(['lumi-std']);
    expect(result.project.conditions.walltime).toBe(200);
    expect(result.project.tunnel).toEqual({
      mode: 'ssh',
      port: 8888,
      localPort: 38888,
      user: 'USER',
      jumpHost: 'HOST',
      jumpHostPort: 22,
      sshKey: 'XXX/.ssh/id_lumi_rsa',
    });
    // No source, as in the original example: a warning, not an error (the original logged one too).
    expect(result.warnings.map((warning) => warning.path)).toEqual(['environment.source']);
  });
});

describe('tunnel', () => {
  const base = 'projectname: p\nconditions: { cpu: 500m, mem: 1Gi, walltime: 60 }\nenvironment: { docker: alpine, cmd: echo, source: main.py }\n';
  const issuesOf = (tunnel: string) => {
    const result = parseProject(`${base}tunnel: ${tunnel}\n`);
    return result.ok ? [] : result.issues.map((issue) => `${issue.path}: ${issue.message}`);
  };
  const tunnelOf = (tunnel: string) => {
    const result = parseProject(`${base}tunnel: ${tunnel}\n`);
    if (!result.ok) throw new Error(result.issues.map((issue) => issue.message).join('\n'));
    return result.project.tunnel;
  };

  it('takes null as no tunnel', () => {
    expect(tunnelOf('null')).toBeUndefined();
    expect(tunnelOf('~')).toBeUndefined();
  });

  it('is a keyless forward unless it names a jump host', () => {
    expect(tunnelOf('{ port: 8888 }')).toEqual({ mode: 'forward', port: 8888, localPort: 8888 });
    expect(tunnelOf('{ remotePort: 6006, localPort: 16006 }')).toEqual({ mode: 'forward', port: 6006, localPort: 16006 });
  });

  it('needs the port, once', () => {
    expect(issuesOf('{ localPort: 8888 }')).toEqual(['tunnel.port: missing required key "port"']);
    expect(issuesOf('{ port: 8888, remotePort: 8889 }').join('\n')).toMatch(/tunnel\.remotePort: .*disagree/);
    expect(tunnelOf('{ port: 8888, remotePort: 8888 }')).toEqual({ mode: 'forward', port: 8888, localPort: 8888 });
  });

  it('names each missing field of an SSH tunnel', () => {
    const issues = issuesOf('{ mode: ssh, port: 8888, jumpHost: login.example.org }').join('\n');
    expect(issues).toMatch(/tunnel\.user: missing required key "user"/);
    expect(issues).toMatch(/tunnel\.sshKey: missing required key "sshKey"/);
    expect(issues).not.toMatch(/jumpHost:/);
  });

  it('refuses SSH settings on a keyless forward', () => {
    expect(issuesOf('{ mode: forward, port: 8888, user: me }').join('\n')).toMatch(/tunnel\.user: user is for an SSH tunnel/);
  });
});
