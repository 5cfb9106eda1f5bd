import { afterEach, describe, expect, it } from 'vitest';
import {
  addExecutor,
  addProcess,
  COLONY_OWNER,
  type EngineParts,
  engineParts,
  SERVER_ID,
  USER_ID,
} from './engine-parts.test-helpers';
import { ExecutorState } from './model';
import { RpcError } from './rpc-error';

let parts: EngineParts | undefined;
afterEach(() => parts?.close());

/** The status and message a check refuses with, or 'allowed'. */
function outcome(check: () => unknown): string {
  try {
    check();
    return 'allowed';
  } catch (error) {
    if (!RpcError.isInstance(error)) throw error;
    return `${error.status} ${error.message}`;
  }
}

describe('authorization', () => {
  it('knows the server owner and each colony owner', () => {
    parts = engineParts();
    const { authorization } = parts;
    expect(outcome(() => authorization.requireServerOwner(SERVER_ID))).toBe('allowed');
    expect(outcome(() => authorization.requireServerOwner(COLONY_OWNER))).toBe('403 Access denied, not server owner');
    expect(outcome(() => authorization.requireColonyOwner(COLONY_OWNER, 'dev'))).toBe('allowed');
    expect(outcome(() => authorization.requireColonyOwner(USER_ID, 'dev'))).toBe('403 Access denied, not colony owner');
    expect(outcome(() => authorization.requireColonyOwner(COLONY_OWNER, 'other'))).toBe('403 Colony with name <other> does not exists');
  });

  it('lets users and approved executors in as members; pending executors only where allowed; never another colony’s', () => {
    parts = engineParts();
    const { authorization, statements } = parts;
    const approved = 'a'.repeat(64);
    const pending = 'b'.repeat(64);
    const foreign = 'd'.repeat(64);
    addExecutor(parts, approved);
    addExecutor(parts, pending, ExecutorState.PENDING);
    statements.colonies.insert('other', COLONY_OWNER);
    addExecutor(parts, foreign, ExecutorState.APPROVED, 'other');
    const notMember = '403 Access denied, not a member of Colony with name <dev>';
    expect(outcome(() => authorization.requireMember(USER_ID, 'dev'))).toBe('allowed');
    expect(outcome(() => authorization.requireMember(approved, 'dev'))).toBe('allowed');
    expect(outcome(() => authorization.requireMember(pending, 'dev'))).toBe(notMember);
    expect(outcome(() => authorization.requireMember(pending, 'dev', true))).toBe('allowed');
    expect(outcome(() => authorization.requireMember(foreign, 'dev'))).toBe(notMember);
    expect(outcome(() => authorization.requireMember(COLONY_OWNER, 'dev'))).toBe(notMember);
    expect(authorization.memberName(USER_ID, 'dev')).toBe('alice');
    expect(authorization.memberName(approved, 'dev')).toBe('executor-aaaa');
    expect(authorization.memberName(COLONY_OWNER, 'dev')).toBe('');
  });

  it('lets only the assigned executor change a running process', () => {
    parts = engineParts();
    const { authorization, statements, clock } = parts;
    const assigned = 'a'.repeat(64);
    const other = 'b'.repeat(64);
    addExecutor(parts, assigned);
    addExecutor(parts, other);
    addProcess(parts, 'p'.repeat(64));
    const refusals = { notRunning: 'not running', notAllowed: 'not allowed' };
    const check = (signer: string) => () => authorization.requireAssignedExecutor(signer, 'p'.repeat(64), refusals);
    expect(outcome(check(assigned))).toBe('403 not running');
    statements.processes.assign('p'.repeat(64), assigned, clock.now(), 0n);
    expect(outcome(check(assigned))).toBe('allowed');
    expect(outcome(check(other))).toBe('403 not allowed');
    expect(outcome(() => authorization.processForMember(USER_ID, 'q'.repeat(64)))).toBe('404 Failed to get process, process not found');
  });
});
