// Who may do what (colonies-protocol.md §3.1). Five roles, each one named
// check: the server owner, a colony's owner, a member (a user, or an
// executor of the colony that is approved — or pending, where the Go server
// allows it), an executor (any signer registered as one), and the executor a
// process is assigned to. Each check throws the Go server's 403 (or the
// reply it gives) and returns what it looked up, so no handler reads twice.
import type { ExecutorRow, ProcessRow } from './model';
import { ExecutorState, ProcessState } from './model';
import { forbidden, notFound, notMember, type RpcError, unknownColony } from './rpc-error';
import type { Statements } from './statements';
import type { ColonyRow } from './stored-rows';

/** The messages of a refused assigned-executor check (they differ per message type in the Go server). */
export interface AssignedExecutorRefusals {
  notRunning: string;
  notAllowed: string;
}

export class Authorization {
  readonly #statements: Statements;
  readonly #serverId: string;

  constructor(statements: Statements, serverId: string) {
    this.#statements = statements;
    this.#serverId = serverId;
  }

  /** The colony, or the Go server's 403 for an unknown one. */
  colony(name: string): ColonyRow {
    const colony = this.#statements.colonies.get(name);
    if (!colony) throw unknownColony(name);
    return colony;
  }

  requireServerOwner(signer: string): void {
    if (signer !== this.#serverId) throw forbidden('Access denied, not server owner');
  }

  requireColonyOwner(signer: string, colonyName: string): ColonyRow {
    const colony = this.colony(colonyName);
    if (colony.colonyid !== signer) throw forbidden('Access denied, not colony owner');
    return colony;
  }

  /** The server owner, or the owner of the (existing) colony: the dev-server's own maintenance messages. */
  requireServerOrColonyOwner(signer: string, colonyName: string): ColonyRow {
    const colony = this.colony(colonyName);
    if (signer !== this.#serverId && colony.colonyid !== signer) throw forbidden('Access denied, not server owner or colony owner');
    return colony;
  }

  /**
   * Users and approved executors of the colony; with `pendingOk`, executors
   * still waiting for approval too (the listing and update messages allow them).
   * Returns the colony's name, so a handler reads and checks it in one line.
   */
  requireMember(signer: string, colonyName: string, pendingOk = false): string {
    this.colony(colonyName);
    if (this.#statements.users.byId(colonyName, signer)) return colonyName;
    const executor = this.#statements.executors.byId(signer);
    if (executor && executor.colonyname === colonyName) {
      if (executor.state === ExecutorState.APPROVED) return colonyName;
      if (pendingOk && executor.state === ExecutorState.PENDING) return colonyName;
    }
    throw notMember(colonyName);
  }

  /** The signer as an executor (any colony, any state), or `refusal` when it is none. */
  requireExecutor(signer: string, refusal: () => RpcError): ExecutorRow {
    const executor = this.#statements.executors.byId(signer);
    if (!executor) throw refusal();
    return executor;
  }

  /** The name a member signs as: the user's, else the executor's, else empty. */
  memberName(signer: string, colonyName: string): string {
    const user = this.#statements.users.byId(colonyName, signer);
    if (user) return user.name;
    return this.#statements.executors.byId(signer)?.name ?? '';
  }

  /** The process, which the signer must be a member of its colony to see. */
  processForMember(signer: string, processId: string): ProcessRow {
    const row = this.#statements.processes.get(processId);
    if (!row) throw notFound('Failed to get process, process not found');
    this.requireMember(signer, row.colonyname);
    return row;
  }

  /** The running process, which only the executor it is assigned to may change. */
  requireAssignedExecutor(signer: string, processId: string, refusals: AssignedExecutorRefusals): ProcessRow {
    const row = this.processForMember(signer, processId);
    if (Number(row.state) !== ProcessState.RUNNING) throw forbidden(refusals.notRunning);
    if (row.assignedexecutorid !== signer) throw forbidden(refusals.notAllowed);
    return row;
  }
}
