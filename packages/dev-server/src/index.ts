export {
  startDevServer,
  type DevIdentity,
  type DevServer,
  type DevServerIdentities,
  type DevServerOptions,
} from './dev-server';
export type { Durability } from './store';
export { createLogger, type Logger, type LogLevel } from './logger';
