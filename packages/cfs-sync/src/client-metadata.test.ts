import type { ColoniesClient, Snapshot as WireSnapshot } from '@pollinator/colonies-client';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { cfsMetadataFromClient, type CfsClientLike } from './client-metadata';
import { CfsError } from './errors';
import type { CfsFile, Snapshot } from './types';

describe('cfsMetadataFromClient', () => {
  it('the real client fits CfsClientLike, and its snapshots fit cfs-sync\'s (the wire types are the client\'s own)', () => {
    expectTypeOf<ColoniesClient>().toMatchTypeOf<CfsClientLike>();
    expectTypeOf<WireSnapshot>().toMatchTypeOf<Snapshot>();
  });

  it('binds every call to one colony, the given one before the client\'s', async () => {
    const calls: unknown[][] = [];
    const record =
      (method: string) =>
      async (...args: unknown[]) => {
        calls.push([method, ...args]);
        return method === 'getFiles' || method === 'getFileLabels' ? [] : {};
      };
    const client = {
      colonyName: 'from-client',
      addFile: record('addFile'),
      getFile: record('getFile'),
      getFiles: record('getFiles'),
      getFileLabels: record('getFileLabels'),
      createSnapshot: record('createSnapshot'),
      getSnapshot: record('getSnapshot'),
    } as unknown as CfsClientLike;
    const metadata = cfsMetadataFromClient(client, 'given');
    expect(metadata.colonyName).toBe('given');
    await metadata.getFiles('/p');
    await metadata.getFileLabels('/p', true);
    await metadata.getFileById('f1');
    await metadata.getLatestFile('/p', 'a');
    await metadata.addFile({ colonyname: 'other', label: '/p', name: 'a' } as CfsFile);
    await metadata.createSnapshot('/p', 's');
    await metadata.getSnapshot({ name: 's' });
    expect(calls).toEqual([
      ['getFiles', '/p', { colonyName: 'given' }],
      ['getFileLabels', { name: '/p', exact: true, colonyName: 'given' }],
      ['getFile', { fileId: 'f1', colonyName: 'given' }],
      ['getFile', { label: '/p', name: 'a', colonyName: 'given' }],
      ['addFile', { colonyname: 'given', label: '/p', name: 'a' }],
      ['createSnapshot', { label: '/p', name: 's', colonyName: 'given' }],
      ['getSnapshot', { name: 's', colonyName: 'given' }],
    ]);
    expect(cfsMetadataFromClient(client).colonyName).toBe('from-client');
  });

  it('refuses a client without a colony name (INVALID_CONFIG)', () => {
    expect(() => cfsMetadataFromClient({} as CfsClientLike)).toThrow(CfsError);
    expect(() => cfsMetadataFromClient({} as CfsClientLike)).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }) as Error);
  });
});
