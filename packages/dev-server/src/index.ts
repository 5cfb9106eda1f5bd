export {
  startDevServer,
  type DevIdentity,
  type DevServer,
  type DevServerIdentities,
  type DevServerOptions,
} from './dev-server';
export type { Durability } from './store';
export { CHANNEL_LIMITS, type ChannelLimits } from './channel-router';
export type { AssignWakeUp } from './scheduler';
export type { GcReport } from './gc-run';
export { createLogger, type Logger, type LogLevel } from './logger';
