import { describe, expect, it } from 'vitest';
import { CliExitCode } from '../exit-codes';
import { describeForwardEnd } from './forward-end';

const ID = 'a'.repeat(64);

describe('describeForwardEnd', () => {
  it('the job ending is the normal end: its state in the message, the exit status as logs --follow', () => {
    expect(describeForwardEnd({ kind: 'process-ended', state: 'successful' }, ID)).toMatchObject({
      message: 'The job finished (successful): forward closed.',
      exitCode: CliExitCode.SUCCESS,
      failure: false,
      state: 'successful',
    });
    expect(describeForwardEnd({ kind: 'process-ended', state: 'success' }, ID).message).toBe('The job finished (successful): forward closed.');
    expect(describeForwardEnd({ kind: 'process-ended', state: 'failed' }, ID)).toMatchObject({ exitCode: CliExitCode.JOB_FAILED, failure: false });
    expect(describeForwardEnd({ kind: 'process-ended', state: 'cancelled' }, ID)).toMatchObject({ exitCode: CliExitCode.CANCELLED, failure: false });
  });

  it('Ctrl-C and our own close exit 0', () => {
    expect(describeForwardEnd('interrupted', ID)).toMatchObject({ reason: 'interrupted', exitCode: 0, failure: false });
    expect(describeForwardEnd({ kind: 'closed', by: 'us' }, ID)).toMatchObject({ exitCode: 0, failure: false });
  });

  it('a refusal says who may forward, or what to add to project.yaml', () => {
    const notSubmitter = describeForwardEnd({ kind: 'refused', refusal: 'not-authorized', message: 'not allowed' }, ID);
    expect(notSubmitter).toMatchObject({ exitCode: CliExitCode.SUBMISSION_REJECTED, code: 'FORWARD_NOT_SUBMITTER', failure: true });
    expect(notSubmitter.message).toContain(`only the user who submitted process ${ID} can forward to it`);
    const noChannels = describeForwardEnd({ kind: 'refused', refusal: 'channel-not-found', message: 'no channel' }, ID);
    expect(noChannels).toMatchObject({ exitCode: CliExitCode.USAGE, code: 'FORWARD_NOT_ALLOWED' });
    expect(noChannels.fix).toContain('tunnel: {port: N}');
    expect(describeForwardEnd({ kind: 'refused', refusal: 'rate-limited', message: 'rate limit exceeded' }, ID)).toMatchObject({ code: 'FORWARD_LIMIT', exitCode: CliExitCode.CONNECTION_LOST });
  });

  it('a limit, an error or the executor closing is a failure with the reason (75)', () => {
    const limit = describeForwardEnd({ kind: 'limit', message: 'all 8 channels of the up direction are full' }, ID);
    expect(limit).toMatchObject({ failure: true, exitCode: CliExitCode.CONNECTION_LOST, code: 'FORWARD_LIMIT' });
    expect(limit.message).toContain('all 8 channels of the up direction are full');
    expect(limit.fix).toContain('docs/interactive-jobs.md');
    expect(describeForwardEnd({ kind: 'error', message: 'socket hang up' }, ID)).toMatchObject({ failure: true, code: 'FORWARD_FAILED' });
    expect(describeForwardEnd({ kind: 'closed', by: 'peer', reason: 'executor stopping' }, ID).message).toBe('The executor closed the forward: executor stopping');
  });

  it('prints the executor’s reason without terminal escapes', () => {
    expect(describeForwardEnd({ kind: 'closed', by: 'peer', reason: 'bye\u001b[31m\n' }, ID).message).toBe('The executor closed the forward: bye[31m ');
    expect(describeForwardEnd({ kind: 'error', message: 'protocol error\u001b]0;x\u0007' }, ID).message).toBe('The forward failed: protocol error]0;x');
  });
});
