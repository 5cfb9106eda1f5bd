// A dev-server on loopback with a process that declares the forward channels,
// assigned to the bootstrap executor: the two ends of a forward, plus a second
// user of the colony (who must be refused).
import { generatePrivateKey, idOf } from '@pollinator/crypto';
import { createColoniesClient, type ColoniesClient } from '@pollinator/colonies-client';
import { startDevServer, type ChannelLimits, type DevServer } from '@pollinator/dev-server';
import { forwardChannelNames } from '@pollinator/spec-builder';

export interface ForwardColony {
  server: DevServer;
  /** The submitter. */
  user: ColoniesClient;
  executor: ColoniesClient;
  /** Another user of the same colony. */
  otherUser: ColoniesClient;
  /** Submits a forward-capable spec and assigns it to the executor; the process id. */
  runningProcess(): Promise<string>;
  close(): Promise<void>;
}

export async function startForwardColony(options: { channelLimits?: Partial<ChannelLimits> } = {}): Promise<ForwardColony> {
  const server = await startDevServer(options.channelLimits === undefined ? {} : { channelLimits: options.channelLimits });
  const { colony, user, executor } = server.identities;
  const as = (privateKey: string) => createColoniesClient({ url: server.url, privateKey, colonyName: colony.name, retry: false });
  const otherKey = generatePrivateKey();
  await as(colony.privateKey).addUser({ userid: idOf(otherKey), name: 'other-user', colonyname: colony.name });
  const forward = {
    server,
    user: as(user.privateKey),
    executor: as(executor.privateKey),
    otherUser: as(otherKey),
    async runningProcess() {
      const submitted = await forward.user.submit({
        funcname: 'execute',
        conditions: { executortype: executor.type },
        maxexectime: 600,
        channels: forwardChannelNames(),
      });
      const assigned = await forward.executor.assign({ timeout: 5 });
      if (assigned?.processid !== submitted.processid) throw new Error('the test process was not assigned to the executor');
      return submitted.processid;
    },
    close: () => server.close(),
  };
  return forward;
}

/** Everything a link delivers until it ends, joined. */
export async function readAll(link: { read(): AsyncIterable<Uint8Array> }): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const payload of link.read()) parts.push(Buffer.from(payload));
  return Buffer.concat(parts);
}
