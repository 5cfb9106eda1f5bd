// Processes (§3.4–3.9): submitted and read by members, closed by the executor
// they are assigned to, cancelled and removed by members, removed in bulk by
// the colony's owner. Assignment itself is in assignment-handlers.ts.
import { addSeconds, SECOND } from '../clock';
import { goJson, sortMapKeys } from '../go-json';
import { attributeId, randomId } from '../identifiers';
import { arr, int, obj, str, strArr } from '../json-reader';
import { AttributeType, normaliseSpec, type NormalisedSpec, ProcessState } from '../model';
import { storedProcessJson } from '../process-events';
import type { ProcessFilter } from '../process-statements';
import { type Call, type HandlerContext, type HandlerTable, list, ok, type RpcReply } from '../rpc-reply';
import { badRequest, forbidden, serverError } from '../rpc-error';

const MAX_PROCESS_COUNT = 100;
const DAY = 86_400n * SECOND;

function storeSubmitted(context: HandlerContext, signer: string, spec: NormalisedSpec, processId: string): void {
  const { statements, authorization, clock } = context;
  const now = clock.now();
  statements.processes.insert({
    processid: processId,
    colonyname: spec.colonyName,
    executortype: spec.executorType,
    executornames: JSON.stringify(spec.executorNames),
    locationname: spec.locationName,
    label: spec.label,
    initiatorid: signer,
    initiatorname: authorization.memberName(signer, spec.colonyName),
    prioritytime: now - BigInt(spec.priority) * DAY,
    submissiontime: now,
    waitdeadline: spec.maxWaitTime > 0 ? addSeconds(now, spec.maxWaitTime) : 0n,
    maxretries: spec.maxRetries,
    maxexectime: spec.maxExecTime,
    maxwaittime: spec.maxWaitTime,
    cpu: spec.cpu,
    mem: spec.mem,
    storage: spec.storage,
    nodes: spec.nodes,
    procs: spec.processes,
    ppn: spec.processesPerNode,
    spec: JSON.stringify(spec.spec),
  });
  for (const [key, value] of Object.entries(spec.env)) {
    statements.attributes.upsert({
      attributeid: attributeId(processId, key, AttributeType.ENV),
      targetid: processId,
      colonyname: spec.colonyName,
      state: ProcessState.WAITING,
      type: AttributeType.ENV,
      key,
      value,
    });
  }
}

function submitFunctionSpec(context: HandlerContext, { signer, msg }: Call): RpcReply {
  const { statements, authorization, events, scheduler, transaction } = context;
  const spec = normaliseSpec(obj(msg, 'spec'));
  authorization.requireMember(signer, spec.colonyName);
  const processId = randomId();
  transaction(() => storeSubmitted(context, signer, spec, processId));
  const row = statements.processes.get(processId);
  if (!row) throw serverError('Failed to submit function spec, process not stored');
  const reply = ok('submitfuncspecmsg', storedProcessJson(statements, row), true);
  events.emit(processId);
  // The reply is produced first; the dispatch runs in the same tick, so a
  // waiting executor hears about the process within microseconds.
  scheduler.dispatchSoon(spec.colonyName);
  return reply;
}

function getProcess({ authorization, statements }: HandlerContext, { signer, msg }: Call): RpcReply {
  const row = authorization.processForMember(signer, str(msg, 'processid'));
  return ok('getprocessmsg', storedProcessJson(statements, row), true);
}

/** The one filter `getprocessesmsg` applies: executor type, else initiator, else label. */
function processFilter(executorType: string, initiator: string, label: string): [ProcessFilter, string] {
  if (executorType) return ['executortype', executorType];
  if (initiator) return ['initiatorname', initiator];
  if (label) return ['label', label];
  return ['none', ''];
}

function getProcesses({ authorization, statements }: HandlerContext, { signer, msg }: Call): RpcReply {
  const colonyname = str(msg, 'colonyname');
  const count = int(msg, 'count');
  const state = int(msg, 'state');
  authorization.requireMember(signer, colonyname);
  if (count > MAX_PROCESS_COUNT) throw badRequest(`Count is larger than MaxCount limit <${MAX_PROCESS_COUNT}>`);
  if (state < 0 || state > 4) throw badRequest('Failed to get processes, invalid msg.State');
  if (count <= 0) return list('getprocessesmsg', []);
  const [filter, filterValue] = processFilter(str(msg, 'executortype'), str(msg, 'initiator'), str(msg, 'label'));
  const rows = statements.processes.page({ colonyname, state, filter, filterValue, count });
  return list(
    'getprocessesmsg',
    rows.map((row) => storedProcessJson(statements, row)),
    true,
  );
}

/** The messages of the two close calls, which differ only in wording and in which states they refuse. */
interface CloseWording {
  as: string;
  refusedStates: ReadonlyMap<number, string>;
}

const CLOSE_SUCCESSFUL: CloseWording = {
  as: 'successful',
  refusedStates: new Map([
    [ProcessState.FAILED, 'Tried to set failed process as successful'],
    [ProcessState.CANCELLED, 'Tried to set cancelled process as successful'],
  ]),
};

const CLOSE_FAILED: CloseWording = {
  as: 'failed',
  refusedStates: new Map([
    [ProcessState.SUCCESS, 'Tried to set successful process as failed'],
    [ProcessState.FAILED, 'Tried to set failed process as failed'],
    [ProcessState.CANCELLED, 'Tried to set cancelled process as failed'],
  ]),
};

/** The assigned executor closes its process: checks shared by both outcomes. */
function closableProcess({ authorization }: HandlerContext, signer: string, processId: string, wording: CloseWording): void {
  const row = authorization.processForMember(signer, processId);
  if (row.isassigned === 0n) throw forbidden(`Failed to close process as ${wording.as}, process is not assigned`);
  if (row.assignedexecutorid !== signer) {
    throw forbidden(`Failed to close process as ${wording.as}, not allowed to close process as ${wording.as}`);
  }
  const refusal = wording.refusedStates.get(Number(row.state));
  if (refusal !== undefined) throw badRequest(refusal);
}

function closeSuccessful(context: HandlerContext, { signer, msg }: Call): RpcReply {
  const { statements, clock, events, transaction } = context;
  const processId = str(msg, 'processid');
  const out = arr(msg, 'out');
  closableProcess(context, signer, processId, CLOSE_SUCCESSFUL);
  const now = clock.now();
  transaction(() => {
    statements.processes.transition(processId, ProcessState.SUCCESS, now);
    if (out && out.length > 0) statements.processes.closeSuccessfulWithOutput(processId, now, goJson(sortMapKeys(out)));
  });
  events.emit(processId);
  return ok('closesuccessfulmsg');
}

function closeFailed(context: HandlerContext, { signer, msg }: Call): RpcReply {
  const { statements, clock, events, transaction } = context;
  const processId = str(msg, 'processid');
  const errors = strArr(msg, 'errors') ?? [];
  closableProcess(context, signer, processId, CLOSE_FAILED);
  const now = clock.now();
  transaction(() => {
    statements.processes.transition(processId, ProcessState.FAILED, now);
    statements.processes.closeFailed(processId, now, JSON.stringify(errors));
  });
  events.emit(processId);
  return ok('closefailedmsg');
}

function setOutput({ authorization, statements }: HandlerContext, { signer, msg }: Call): RpcReply {
  const processId = str(msg, 'processid');
  const out = arr(msg, 'out') ?? [];
  authorization.requireAssignedExecutor(signer, processId, {
    notRunning: 'Failed to set output, process is not running',
    notAllowed: 'Failed to set output, not allowed to set output',
  });
  statements.processes.setOutput(processId, goJson(sortMapKeys(out)));
  return ok('setoutputmsg');
}

const CANCEL_REFUSALS: ReadonlyMap<number, string> = new Map([
  [ProcessState.CANCELLED, 'Tried to cancel already cancelled process'],
  [ProcessState.FAILED, 'Tried to cancel failed process'],
  [ProcessState.SUCCESS, 'Tried to cancel successful process'],
]);

function cancelProcess({ authorization, statements, clock, events, transaction }: HandlerContext, { signer, msg }: Call): RpcReply {
  const processId = str(msg, 'processid');
  const row = authorization.processForMember(signer, processId);
  const refusal = CANCEL_REFUSALS.get(Number(row.state));
  if (refusal !== undefined) throw badRequest(refusal);
  transaction(() => statements.processes.transition(processId, ProcessState.CANCELLED, clock.now()));
  events.emit(processId);
  return ok('cancelprocessmsg');
}

function removeProcess({ authorization, statements, transaction, channels }: HandlerContext, { signer, msg }: Call): RpcReply {
  const processId = str(msg, 'processid');
  const row = authorization.processForMember(signer, processId);
  if (Number(row.state) === ProcessState.RUNNING) {
    throw badRequest('Failed to remove process, cannot remove a running process');
  }
  transaction(() => statements.processes.removeWithContents(processId));
  channels.forget(processId);
  return ok('removeprocessmsg');
}

function removeAllProcesses({ authorization, statements, transaction, channels }: HandlerContext, { signer, msg }: Call): RpcReply {
  const colonyname = str(msg, 'colonyname');
  const state = int(msg, 'state');
  authorization.requireColonyOwner(signer, colonyname);
  if (state === ProcessState.RUNNING) throw badRequest('Failed to remove processes, cannot remove running processes');
  transaction(() => {
    for (const processId of statements.processes.idsInState(colonyname, state)) {
      statements.processes.removeWithContents(processId);
      channels.forget(processId);
    }
  });
  return ok('removeallprocessesmsg');
}

export const processHandlers: HandlerTable = {
  submitfuncspecmsg: submitFunctionSpec,
  getprocessmsg: getProcess,
  getprocessesmsg: getProcesses,
  closesuccessfulmsg: closeSuccessful,
  closefailedmsg: closeFailed,
  setoutputmsg: setOutput,
  cancelprocessmsg: cancelProcess,
  removeprocessmsg: removeProcess,
  removeallprocessesmsg: removeAllProcesses,
};
