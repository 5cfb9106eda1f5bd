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
// Streams over a link: the 127.0.0.1 listener, the executor's relay, and what the CLI / runtime call.
export { openForward, relayForwards, type ForwardLinkSettings, type OpenForwardOptions, type RelayForwardsOptions } from './open-forward';
export { createForwardListener, type ForwardListener, type ForwardListenerOptions } from './forward-listener';
export { serveForwardRelay, DEFAULT_CONNECT_TIMEOUT_MS, type ForwardRelay, type ForwardRelayOptions } from './forward-relay';
export type { ForwardEvent, RelayEvent } from './forward-events';
export { ForwardError, ForwardNotAllowedError, type ForwardErrorCode } from './forward-errors';
export { DEFAULT_MAX_STREAMS, DEFAULT_WINDOW_BYTES } from './forward-mux';
export { createMemoryLinkPair, type MemoryLinkOptions } from './memory-link';
export { printableText } from './printable-text';
