import type { ForwardEvent, SshTunnelEvent } from '@pollinator/port-forward';
import { describe, expect, it } from 'vitest';
import { eventProblems } from '../render/json-schema.test-helpers';
import { captureOutput } from '../render/output.test-helpers';
import { reportedActivity } from './forward-session';

const ID = 'b'.repeat(64);

/** Every event the keyless forward and the SSH tunnel report. */
const EVENTS: Array<ForwardEvent | SshTunnelEvent> = [
  { type: 'waiting', processId: ID, state: 'waiting' },
  { type: 'listening', host: '127.0.0.1', port: 8888, remotePort: 8888 },
  { type: 'connection', streamId: 1 },
  { type: 'connection-opened', streamId: 1 },
  { type: 'refused', streamId: 2, reason: 'nothing answers on port 8888 of the job' },
  { type: 'connection-closed', streamId: 1 },
  { type: 'connection-closed', streamId: 3, reason: 'the job reset the connection' },
  { type: 'notice', text: 'rate limited: waiting 200 ms' },
  { type: 'ended', end: { kind: 'process-ended', state: 'successful' }, message: 'the process ended' },
  { type: 'connecting', jumpHost: 'lumi.csc.fi', port: 22 },
  { type: 'host-key-accepted', fingerprint: 'SHA256:abc', knownHostsPath: '/home/a/.ssh/known_hosts' },
  { type: 'connection', connectionId: 4 },
  { type: 'connection-closed', connectionId: 4 },
  { type: 'connection-failed', connectionId: 5, message: 'connect refused by the jump host' },
  { type: 'disconnected', message: 'the jump host closed the connection' },
];

describe('reportedActivity', () => {
  it('turns every forward and SSH tunnel event into a --json line the schema accepts (listening and ended: the session\'s own lines)', async () => {
    const { output, text } = captureOutput({ json: true });
    const shown = EVENTS.map((event) => reportedActivity(event));
    for (const reported of shown) if (reported !== undefined) output.json({ type: `forward.${reported.type}`, processId: ID, ...reported.fields });
    await new Promise((resolve) => setImmediate(resolve));
    const lines = text().stdout.trim().split('\n');
    expect(lines).toHaveLength(EVENTS.length - 2);
    for (const line of lines) expect(eventProblems(JSON.parse(line))).toBe('');
    expect(shown[1]).toBeUndefined();
    expect(shown[8]).toBeUndefined();
  });

  it('shows waiting, refusals and the SSH host key without -v; connections and rate-limit notices only with -v', () => {
    const always = EVENTS.map((event) => reportedActivity(event)).filter((reported) => reported?.always === true).map((reported) => reported?.text);
    expect(always).toEqual([
      'The job is waiting for an executor: the forward opens once it runs.',
      'connection 2 refused: nothing answers on port 8888 of the job',
      'Accepted the jump host\'s key SHA256:abc (written to /home/a/.ssh/known_hosts).',
      'connection 5 failed: connect refused by the jump host',
      'the jump host closed the connection',
    ]);
    expect(reportedActivity({ type: 'connection-closed', streamId: 3, reason: 'the job reset the connection' })?.text).toBe('connection 3 closed: the job reset the connection');
  });

  it('prints a reason or message the other side chose without its terminal escapes, on the line and in --json', () => {
    const reported = reportedActivity({ type: 'refused', streamId: 2, reason: 'no\u001b[2J\u001b]0;owned\u0007 way\r\nroot# ' });
    expect(reported?.text).toBe('connection 2 refused: no[2J]0;owned way  root# ');
    expect(reported?.fields.reason).toBe('no[2J]0;owned way  root# ');
    expect(reportedActivity({ type: 'notice', text: '\u009b31mred' })?.text).toBe('31mred');
  });
});
