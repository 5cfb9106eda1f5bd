// Colony statistics (§3.2): counts of executors and processes by state (workflows are not supported: 0).
import { str } from '../json-reader';
import { ExecutorState, ProcessState } from '../model';
import { type Call, type HandlerContext, type HandlerTable, ok, type RpcReply } from '../rpc-reply';

function getColonyStatistics({ authorization, statements }: HandlerContext, { signer, msg }: Call): RpcReply {
  const name = authorization.requireMember(signer, str(msg, 'colonyname'));
  const { statistics } = statements;
  const processes = (state: number): number => statistics.processesInState(name, state);
  return ok('getcolonystatsmsg', {
    colonies: 1,
    executors: statistics.executorsNotInState(name, ExecutorState.UNREGISTERED),
    activeexecutors: statistics.executorsInState(name, ExecutorState.APPROVED),
    unregisteredexecutors: statistics.executorsInState(name, ExecutorState.UNREGISTERED),
    waitingprocesses: processes(ProcessState.WAITING),
    runningprocesses: processes(ProcessState.RUNNING),
    successfulprocesses: processes(ProcessState.SUCCESS),
    failedprocesses: processes(ProcessState.FAILED),
    cancelledprocesses: processes(ProcessState.CANCELLED),
    waitingworkflows: 0,
    runningworkflows: 0,
    successfulworkflows: 0,
    failedworkflows: 0,
    cancelledworkflows: 0,
  });
}

export const statisticsHandlers: HandlerTable = {
  getcolonystatsmsg: getColonyStatistics,
};
