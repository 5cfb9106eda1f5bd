// The server's own messages: version and server info (no signer check, as in the Go server).
import { type HandlerContext, type HandlerTable, ok, type RpcReply } from '../rpc-reply';

function version({ settings }: HandlerContext): RpcReply {
  return ok('versionmsg', { buildversion: settings.buildVersion, buildtime: settings.buildTime, msgtype: 'versionmsg' });
}

function serverInfo({ settings }: HandlerContext): RpcReply {
  const { host, port } = settings.serverInfo();
  return ok('getserverinfomsg', {
    buildversion: settings.buildVersion,
    buildtime: settings.buildTime,
    backends: [{ type: 'http', port, host }],
  });
}

export const serverHandlers: HandlerTable = {
  versionmsg: version,
  getserverinfomsg: serverInfo,
};
