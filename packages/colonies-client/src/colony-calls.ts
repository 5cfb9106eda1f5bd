// Server information, colonies and users.
import { checkName } from './argument-checks';
import type { ColonyCallOptions } from './colony-call-options';
import { asIs, expectList, expectObject, toColony } from './convert';
import { read, write, type RpcCore } from './rpc-core';
import type { CallOptions } from './transport';
import type { Colony, ColonyStatistics, ServerInfo, User, VersionInfo } from './types';

export interface ColonyInput {
  /** The id of the colony's private key. */
  colonyid: string;
  name: string;
}

export interface UserInput {
  userid: string;
  name: string;
  email?: string;
  phone?: string;
  colonyname?: string;
}

export async function version(core: RpcCore, options?: CallOptions): Promise<VersionInfo> {
  const reply = expectObject('versionmsg', await read(core, 'versionmsg', {}, options));
  return {
    buildversion: typeof reply.buildversion === 'string' ? reply.buildversion : '',
    buildtime: typeof reply.buildtime === 'string' ? reply.buildtime : '',
  };
}

export async function getServerInfo(core: RpcCore, options?: CallOptions): Promise<ServerInfo> {
  const reply = expectObject('getserverinfomsg', await read(core, 'getserverinfomsg', {}, options));
  return { ...(reply as unknown as ServerInfo), backends: Array.isArray(reply.backends) ? (reply.backends as ServerInfo['backends']) : [] };
}

export async function addColony(core: RpcCore, colony: ColonyInput, options?: CallOptions): Promise<Colony> {
  checkName(colony.name, 'colony name');
  const reply = await write(core, 'addcolonymsg', { colony: { colonyid: colony.colonyid, name: colony.name } }, options);
  return toColony(expectObject('addcolonymsg', reply));
}

export async function removeColony(core: RpcCore, colonyName: string, options?: CallOptions): Promise<void> {
  await write(core, 'removecolonymsg', { colonyname: colonyName }, options);
}

export async function getColonies(core: RpcCore, options?: CallOptions): Promise<Colony[]> {
  return expectList('getcoloniesmsg', await read(core, 'getcoloniesmsg', {}, options), toColony);
}

export async function getColony(core: RpcCore, options?: ColonyCallOptions): Promise<Colony> {
  const reply = await read(core, 'getcolonymsg', { colonyname: core.colony(options?.colonyName) }, options);
  return toColony(expectObject('getcolonymsg', reply));
}

export async function getColonyStatistics(core: RpcCore, options?: ColonyCallOptions): Promise<ColonyStatistics> {
  const reply = await read(core, 'getcolonystatsmsg', { colonyname: core.colony(options?.colonyName) }, options);
  return expectObject('getcolonystatsmsg', reply) as unknown as ColonyStatistics;
}

export async function addUser(core: RpcCore, user: UserInput, options?: CallOptions): Promise<User> {
  checkName(user.name, 'user name');
  const body = {
    colonyname: core.colony(user.colonyname),
    userid: user.userid,
    name: user.name,
    email: user.email ?? '',
    phone: user.phone ?? '',
  };
  return expectObject('addusermsg', await write(core, 'addusermsg', { user: body }, options)) as unknown as User;
}

export async function removeUser(core: RpcCore, name: string, options?: ColonyCallOptions): Promise<void> {
  await write(core, 'removeusermsg', { colonyname: core.colony(options?.colonyName), name }, options);
}

export async function getUsers(core: RpcCore, options?: ColonyCallOptions): Promise<User[]> {
  return expectList('getusersmsg', await read(core, 'getusersmsg', { colonyname: core.colony(options?.colonyName) }, options), asIs<User>);
}
