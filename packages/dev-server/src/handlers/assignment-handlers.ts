// `assignprocessmsg` (§3.5): an approved executor asks for work, now or within its timeout; the scheduler decides.
import { boundedInt, str } from '../json-reader';
import { REQUEST_LIMITS } from '../request-limits';
import { parseCpu, parseMemory } from '../resources';
import { type Call, type HandlerContext, type HandlerResult, type HandlerTable } from '../rpc-reply';
import { badRequest, serverError } from '../rpc-error';

function assignProcess({ authorization, statements, scheduler, clock }: HandlerContext, { signer, msg }: Call): HandlerResult {
  const colonyname = str(msg, 'colonyname');
  const timeoutSeconds = boundedInt(msg, 'timeout', Number.MIN_SAFE_INTEGER, REQUEST_LIMITS.timeoutSeconds);
  if (timeoutSeconds === 0) throw badRequest('Invalid timeout value, timeout cannot be zero');
  const availableCpuText = str(msg, 'availablecpu');
  const availableMemText = str(msg, 'availablemem');
  authorization.requireMember(signer, colonyname);
  const executor = authorization.requireExecutor(signer, () => serverError('Failed to assign process, executor not found'));
  statements.executors.heartbeat(executor.executorid, clock.now());
  const availableCpu = availableCpuText === '' ? -1 : parseCpu(availableCpuText, 'availablecpu');
  const availableMem = availableMemText === '' ? -1n : parseMemory(availableMemText, 'availablemem');
  return scheduler.assign({ colonyname, executor, availableCpu, availableMem, timeoutSeconds });
}

export const assignmentHandlers: HandlerTable = {
  assignprocessmsg: assignProcess,
};
