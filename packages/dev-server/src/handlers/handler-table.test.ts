import { describe, expect, it } from 'vitest';
import { ok } from '../rpc-reply';
import { allHandlers } from './handler-table';

/** Every message type engine.ts answered before it was split (issue #18): none may go missing. */
const PAYLOAD_TYPES = [
  'versionmsg', 'getserverinfomsg',
  'addcolonymsg', 'removecolonymsg', 'getcoloniesmsg', 'getcolonymsg', 'getcolonystatsmsg',
  'pauseassignmentsmsg', 'resumeassignmentsmsg', 'getpausestatusmsg',
  'addusermsg', 'getusersmsg', 'getusermsg', 'removeusermsg',
  'addexecutormsg', 'approveexecutormsg', 'rejectexecutormsg', 'removeexecutormsg',
  'getexecutormsg', 'getexecutorbyidmsg', 'getexecutorsmsg', 'updateexecutormsg',
  'addfunctionmsg', 'getfunctionsmsg', 'removefunctionmsg',
  'submitfuncspecmsg', 'getprocessmsg', 'getprocessesmsg', 'assignprocessmsg',
  'closesuccessfulmsg', 'closefailedmsg', 'setoutputmsg', 'cancelprocessmsg', 'removeprocessmsg', 'removeallprocessesmsg',
  'addattributemsg', 'getattributemsg',
  'addlogmsg', 'addexecutorlogmsg', 'getlogsmsg', 'searchlogsmsg',
  'addfilemsg', 'getfilesmsg', 'getfilemsg', 'getfilelabelsmsg', 'removefilemsg',
  'createsnapshotmsg', 'getsnapshotmsg', 'getsnapshotsmsg', 'removesnapshotmsg', 'removeallsnapshotmsg',
  // Process channels (v1.9.12; subscribechannelmsg is served on /pubsub).
  'channelappendmsg', 'channelreadmsg',
  // The dev-server's own (not a Colonies message): garbage collection for `pollinator gc`.
  'pollinatorgcmsg',
  // The dev-server's own: a follower's log read held until a line arrives (issue #20).
  'pollinatorwaitlogsmsg',
];

describe('the handler table', () => {
  it('registers exactly the message types the engine answered before the split, the channel messages and its own gc and log-wait messages', () => {
    expect([...allHandlers().keys()].sort()).toEqual([...PAYLOAD_TYPES].sort());
  });

  it('refuses a message type registered by two resource modules', () => {
    const handler = () => ok('versionmsg');
    expect(() => allHandlers([{ versionmsg: handler }, { versionmsg: handler }])).toThrow('two handlers for versionmsg');
  });
});
