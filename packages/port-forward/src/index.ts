// @pollinator/port-forward: a TCP port of a running job, reachable on this
// machine's loopback, without SSH keys (over the process's ColonyOS channels)
// or through the original Pollinator's SSH jump host (host key checked).
// Each module below adds its own exports here.
export {};
export type { ChannelLinkOptions, ForwardLink, LinkEnd, LinkRole } from './link-types';
// SSH tunnel mode (the original Pollinator's jump host, host key checked).
export { openSshTunnel, type SshTunnel, type SshTunnelEnd, type SshTunnelEvent, type SshTunnelOptions } from './ssh-tunnel';
export { SshHostKeyError, SshTunnelError, type SshHostKeyDetails, type SshHostKeyErrorCode, type SshTunnelErrorCode } from './ssh-errors';
export {
  appendKnownHost,
  checkHostKey,
  defaultKnownHostsPaths,
  hostKeyFingerprint,
  knownHostsName,
  parseKnownHosts,
  readKnownHosts,
  type HostKeyVerdict,
  type KnownHostEntry,
} from './known-hosts';
export { expandHomePath } from './ssh-private-key';
export { firstNode, NodeListError, NODE_LIST_INVALID } from './first-node';
// The channel link (one forward's bytes over the process's channels).
export { createChannelLink, type ChannelLinkInternals } from './link';
export { describeLinkEnd, ForwardLinkError, type ForwardLinkErrorCode } from './link-errors';
