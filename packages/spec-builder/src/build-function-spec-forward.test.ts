import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFunctionSpec } from './build-function-spec';
import { allowedForwardPorts, declaresForwardChannels, FORWARD_PORTS_ENV, forwardChannelNames } from './forward-channels';
import { parseProject, type Project } from './parse-project';

const IDS = { colonyName: 'dev', snapshotId: 'snap1', dataSnapshotId: 'data1' };
const BASE = `projectname: notebook
conditions: { cpu: 1000m, mem: 1Gi, walltime: 600 }
environment:
  docker: python:3.12-slim
  cmd: python3 -m http.server 8888
  env: { MODE: fast }
`;

function load(text: string): Project {
  const result = parseProject(text);
  if (!result.ok) throw new Error(JSON.stringify(result.issues, null, 2));
  return result.project;
}

describe('buildFunctionSpec with a tunnel', () => {
  it('declares the forward channels and the allowed port for a keyless forward', () => {
    const spec = buildFunctionSpec(load(`${BASE}tunnel: { port: 8888, localPort: 18888 }\n`), IDS);
    expect(spec.channels).toEqual(forwardChannelNames());
    expect(spec.env).toEqual({ MODE: 'fast', PROJECT_DIR: '/cfs/pollinator/notebook', [FORWARD_PORTS_ENV]: '8888' });
    // What the executor checks before it relays, read back from the spec.
    expect(declaresForwardChannels(spec.channels)).toBe(true);
    expect(allowedForwardPorts(spec.env)).toEqual([8888]);
    // The local port is the CLI's business only: it never reaches the spec.
    expect(JSON.stringify(spec)).not.toContain('18888');
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
  });

  it("uses the original's remotePort name the same way", () => {
    const spec = buildFunctionSpec(load(`${BASE}tunnel: { remotePort: 6006 }\n`), IDS);
    expect(spec.env?.[FORWARD_PORTS_ENV]).toBe('6006');
    expect(declaresForwardChannels(spec.channels)).toBe(true);
  });

  it('lets the tunnel decide the allowed port, not an env entry of the same name', () => {
    const spec = buildFunctionSpec(load(`${BASE.replace('MODE: fast', `${FORWARD_PORTS_ENV}: "22"`)}tunnel: { port: 8888 }\n`), IDS);
    expect(allowedForwardPorts(spec.env)).toEqual([8888]);
  });

  it('declares no channels for an SSH tunnel (the CLI goes through the jump host) nor without a tunnel', () => {
    const ssh = buildFunctionSpec(load(`${BASE}tunnel: { port: 8888, user: me, jumpHost: login.example.org, sshKey: ~/.ssh/id }\n`), IDS);
    const none = buildFunctionSpec(load(`${BASE}tunnel: null\n`), IDS);
    const absent = buildFunctionSpec(load(BASE), IDS);
    for (const spec of [ssh, none, absent]) {
      expect(spec).not.toHaveProperty('channels');
      expect(spec.env).toEqual({ MODE: 'fast', PROJECT_DIR: '/cfs/pollinator/notebook' });
    }
    expect(none).toEqual(absent);
    expect(ssh).toEqual(absent);
  });

  it("builds the original's Jupyter example (an SSH tunnel) without channels", () => {
    const text = readFileSync(join(import.meta.dirname, '__fixtures__', 'go-pollinator', 'jupyter_with_tunnel.project.yaml'), 'utf8');
    const spec = buildFunctionSpec(load(text), IDS);
    expect(spec).not.toHaveProperty('channels');
    expect(spec.env).not.toHaveProperty(FORWARD_PORTS_ENV);
  });
});

describe('parseProject with a tunnel', () => {
  it('no longer warns that the tunnel is not opened', () => {
    for (const tunnel of ['{ port: 8888 }', '{ port: 8888, user: me, jumpHost: login.example.org, sshKey: ~/.ssh/id }']) {
      const result = parseProject(`${BASE.replace('cmd: python3', 'source: main.py\n  cmd: python3')}tunnel: ${tunnel}\n`);
      expect(result.ok).toBe(true);
      expect(result.warnings).toEqual([]);
    }
  });
});
