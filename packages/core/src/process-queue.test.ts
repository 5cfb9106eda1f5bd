import { AttributeType, ProcessState, type Attribute } from '@pollinator/colonies-client';
import { describe, expect, it } from 'vitest';
import { stateEvent } from './follow-process';
import { summarizeProcess } from './process-commands';
import { describeProcessQueue, parseProcessQueue, processQueue, QUEUE_ATTRIBUTE } from './process-queue';

const recorded = {
  reasonCode: 'Priority',
  reason: 'Priority (waiting for higher-priority jobs)',
  partition: 'debug',
  position: 2,
  of: 5,
  estimatedStart: '2026-12-03T12:50:00.000Z',
};

function attribute(value: string, sequence = 1, attributetype: AttributeType = AttributeType.OUT, key = `${QUEUE_ATTRIBUTE}_${sequence}`): Attribute {
  return { attributeid: 'a', targetid: 'p', targetcolonyname: 'c', targetprocessgraphid: '', state: 1, attributetype, key, value };
}

describe('the queue recorded on a process', () => {
  it('reads the executor\'s record of a running process: the highest number, in whatever order the server lists them', () => {
    const process = { state: ProcessState.RUNNING, attributes: [attribute(JSON.stringify(recorded), 1764766080002), attribute(JSON.stringify({ ...recorded, position: 4 }), 1764766080001)] };
    expect(processQueue(process)).toEqual(recorded);
    expect(describeProcessQueue(recorded)).toBe("Priority (waiting for higher-priority jobs); 2 of 5 pending in partition 'debug'; estimated start 2026-12-03 12:50 UTC");
  });

  it('is gone once the job runs (emptied), once the process ended, and when a submitter set it (ENV, not OUT)', () => {
    expect(processQueue({ state: ProcessState.RUNNING, attributes: [attribute('', 9), attribute(JSON.stringify(recorded), 8)] })).toBeUndefined();
    expect(processQueue({ state: ProcessState.SUCCESS, attributes: [attribute(JSON.stringify(recorded))] })).toBeUndefined();
    expect(processQueue({ state: ProcessState.RUNNING, attributes: [attribute(JSON.stringify(recorded), 1, AttributeType.ENV)] })).toBeUndefined();
    expect(processQueue({ state: ProcessState.RUNNING, attributes: [attribute(JSON.stringify(recorded), 1, AttributeType.OUT, QUEUE_ATTRIBUTE), attribute(JSON.stringify(recorded), 1, AttributeType.OUT, 'POLLINATOR_QUEUE_x')] })).toBeUndefined();
  });

  it('takes only what an executor writes from hostile values', () => {
    expect(parseProcessQueue('not json')).toBeUndefined();
    expect(parseProcessQueue('[1]')).toBeUndefined();
    expect(parseProcessQueue(JSON.stringify({ reason: 'no code' }))).toBeUndefined();
    expect(parseProcessQueue('x'.repeat(5000))).toBeUndefined();
    expect(parseProcessQueue(JSON.stringify({ reasonCode: 'Resources', position: -1, of: 1.5, estimatedStart: 'soon', partition: 7, extra: 'kept out' }))).toEqual({
      reasonCode: 'Resources',
      reason: 'Resources',
    });
  });

  it('says a blocked job will not start, with what to do', () => {
    const blocked = "partition 'gpu' is down: ask your admins or choose another partition in slurm.partition";
    expect(describeProcessQueue({ reasonCode: 'PartitionDown', reason: 'PartitionDown (the partition is down)', partition: 'gpu', position: 1, of: 1, blocked })).toBe(
      `will not start: ${blocked}`,
    );
    expect(describeProcessQueue({ reasonCode: 'Resources', reason: 'Resources', partition: 'gpu' })).toBe("Resources; pending in partition 'gpu'");
  });

  it('is part of status summaries and process.state events', () => {
    const process = {
      processid: 'p'.repeat(64),
      state: ProcessState.RUNNING,
      errors: [],
      retries: 0,
      submissiontime: '',
      starttime: '',
      endtime: '',
      spec: { label: 'demo', funcname: 'execute', conditions: { executortype: 'slurm' } },
      attributes: [attribute(JSON.stringify(recorded))],
    };
    expect(stateEvent(process).queue).toEqual(recorded);
    expect(summarizeProcess(process as unknown as Parameters<typeof summarizeProcess>[0]).queue).toEqual(recorded);
  });
});
