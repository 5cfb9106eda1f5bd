import { describe, expect, it } from 'vitest';
import { firstNode, NODE_LIST_INVALID, NodeListError } from './first-node';

describe('firstNode', () => {
  it.each([
    ['nid001', 'nid001'],
    ['node1,node2', 'node1'],
    ['nid[001-004,007],gpu7', 'nid001'],
    ['nid[007,001-004]', 'nid007'],
    ['gpu7,nid[001-004]', 'gpu7'],
    ['rack[1-2]-node[01-04]', 'rack1-node01'],
    ['n[9-10]', 'n9'],
    ['login.example.org', 'login.example.org'],
    ['10.0.0.7,10.0.0.8', '10.0.0.7'],
    ['c_1', 'c_1'],
  ])('%s → %s', (nodes, expected) => {
    expect(firstNode(nodes)).toBe(expected);
  });

  it.each([
    ['', 'it is empty'],
    ['nid001 nid002', 'white space'],
    [' nid001', 'white space'],
    ['nid001\n', 'white space'],
    ['-oProxyCommand=touch /tmp/x', 'white space'],
    ['-oProxyCommand=id', 'not allowed in a host name'],
    ['-node1', 'starts with "-"'],
    ['[1-2]x,-o', 'starts with "-"'],
    ['node1,-oFoo', 'starts with "-"'],
    ['node1;reboot', 'not allowed'],
    ['node1,$(id)', 'not allowed'],
    ['user@node1', 'not allowed'],
    ['node1:22', 'not allowed'],
    ['nid[001-004', 'not closed'],
    ['nid001-004]', 'no matching "["'],
    ['nid[[1]]', 'nested'],
    ['nid[]', 'empty'],
    ['nid[a-b]', 'is not a number'],
    ['nid[4-1]', 'runs backwards'],
    ['node1,,node2', 'empty entry'],
    [',node1', 'empty entry'],
    ['x'.repeat(300), 'longer than 253'],
  ])('refuses %j (%s)', (nodes, reason) => {
    let caught: unknown;
    try {
      firstNode(nodes);
    } catch (error) {
      caught = error;
    }
    expect(NodeListError.isInstance(caught)).toBe(true);
    expect(caught).toMatchObject({ code: NODE_LIST_INVALID, message: expect.stringContaining(reason) });
    expect((caught as Error).message).toContain('NODES');
  });

  it('shows a long hostile value cut short and escaped, never raw', () => {
    const hostile = `node1,${'\u001b[2J'.repeat(50)}`;
    expect(() => firstNode(hostile)).toThrow(/\\u001b\[2J.*…"/);
  });
});
