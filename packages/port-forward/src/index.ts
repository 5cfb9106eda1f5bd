// @pollinator/port-forward: a TCP port of a running job, reachable on this
// machine's loopback, without SSH keys (over the process's ColonyOS channels)
// or through the original Pollinator's SSH jump host (host key checked).
// Each module below adds its own exports here.
export {};
export type { ChannelLinkOptions, ForwardLink, LinkEnd, LinkRole } from './link-types';
