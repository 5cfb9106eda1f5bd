import { ColoniesClient } from './client';
import { checkKey, createClientConfig, type ColoniesClientOptions } from './client-options';

/** Creates a client. Accepts the result of `loadColoniesConfig()` as options. */
export function createColoniesClient(options: ColoniesClientOptions): ColoniesClient {
  const config = createClientConfig(options);
  return new ColoniesClient(config, options.privateKey ? checkKey(options.privateKey, 'privateKey') : undefined);
}
