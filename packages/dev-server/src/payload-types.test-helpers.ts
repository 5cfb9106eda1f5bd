// The message types the dev-server implements, for tests that go through all of them.

/** Every message the dev-server implements (README: "Wire compatibility"). */
export const PAYLOAD_TYPES = [
  'versionmsg', 'getserverinfomsg', 'addcolonymsg', 'removecolonymsg', 'getcoloniesmsg', 'getcolonymsg',
  'getcolonystatsmsg', 'pauseassignmentsmsg', 'resumeassignmentsmsg', 'getpausestatusmsg', 'addusermsg',
  'getusersmsg', 'getusermsg', 'removeusermsg', 'addexecutormsg', 'approveexecutormsg', 'rejectexecutormsg',
  'removeexecutormsg', 'getexecutormsg', 'getexecutorbyidmsg', 'getexecutorsmsg', 'updateexecutormsg',
  'addfunctionmsg', 'getfunctionsmsg', 'removefunctionmsg', 'submitfuncspecmsg', 'getprocessmsg',
  'getprocessesmsg', 'assignprocessmsg', 'closesuccessfulmsg', 'closefailedmsg', 'setoutputmsg',
  'cancelprocessmsg', 'removeprocessmsg', 'removeallprocessesmsg', 'addattributemsg', 'getattributemsg',
  'addlogmsg', 'addexecutorlogmsg', 'getlogsmsg', 'searchlogsmsg', 'addfilemsg', 'getfilesmsg', 'getfilemsg',
  'getfilelabelsmsg', 'removefilemsg', 'createsnapshotmsg', 'getsnapshotmsg', 'getsnapshotsmsg',
  'removesnapshotmsg', 'removeallsnapshotmsg', 'channelappendmsg', 'channelreadmsg', 'pollinatorgcmsg',
] as const;
