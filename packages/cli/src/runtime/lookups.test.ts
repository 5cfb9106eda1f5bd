import { ColoniesError } from '@pollinator/colonies-client';
import { describe, expect, it } from 'vitest';
import { CliError } from '../errors';
import { CliExitCode } from '../exit-codes';
import type { ColonyConnection } from './colony';
import { explainProcessError } from './lookups';

const connection = { mode: 'colony', description: 'colony dev at http://127.0.0.1:50080' } as ColonyConnection;
const PROCESS_ID = 'a'.repeat(64);

describe('explainProcessError', () => {
  it("explains the server's refusal of an unknown process", () => {
    const refusal = new ColoniesError({ status: 500, httpStatus: 500, serverMessage: 'failed to get process', payloadtype: 'getprocessmsg', envelope: true });
    const explained = explainProcessError(refusal, PROCESS_ID, connection);
    expect(CliError.isInstance(explained) && [explained.message, explained.code, explained.exitCode]).toEqual([`No process ${PROCESS_ID}`, 'NOT_FOUND', CliExitCode.USAGE]);
  });

  it('leaves a local failure whose text looks alike as it is', () => {
    const local = Object.assign(new Error("ENOENT: no such file or directory, open 'cfs/result'"), { code: 'ENOENT' });
    expect(explainProcessError(local, PROCESS_ID, connection)).toBe(local);
  });
});
