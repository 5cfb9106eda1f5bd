import { inspect } from 'node:util';
import { generatePrivateKey, idOf } from '@pollinator/crypto';
import { describe, expect, it } from 'vitest';
import { createColoniesClient } from './create-client';
import { loadColoniesConfig } from './config';
import { ColoniesConfigError } from './errors';

const prv = generatePrivateKey();
const colonyPrv = generatePrivateKey();
const serverPrv = generatePrivateKey();

const env = (over: Record<string, string | undefined> = {}) => ({
  COLONIES_SERVER_HOST: 'colonies.example.org',
  COLONIES_SERVER_PORT: '443',
  COLONIES_TLS: 'true',
  COLONIES_COLONY_NAME: 'dev',
  COLONIES_PRVKEY: prv,
  ...over,
});

function configError(e: Record<string, string | undefined>): ColoniesConfigError {
  try {
    loadColoniesConfig(e);
  } catch (error) {
    expect(error).toBeInstanceOf(ColoniesConfigError);
    return error as ColoniesConfigError;
  }
  throw new Error('expected a ColoniesConfigError');
}

describe('loadColoniesConfig', () => {
  it('reads a complete environment', () => {
    const config = loadColoniesConfig(
      env({ COLONIES_COLONY_PRVKEY: colonyPrv, COLONIES_SERVER_PRVKEY: serverPrv, COLONYOS_DASHBOARD_URL: 'https://dashboard.colonyos.io/' }),
    );
    expect(config).toMatchObject({
      host: 'colonies.example.org',
      port: 443,
      tls: true,
      skipTlsVerify: false,
      colonyName: 'dev',
      url: 'https://colonies.example.org:443',
      privateKey: prv,
      colonyPrivateKey: colonyPrv,
      serverPrivateKey: serverPrv,
      dashboardUrl: 'https://dashboard.colonyos.io',
    });
  });

  it('COLONIES_TLS wins, COLONIES_SERVER_TLS is the fallback', () => {
    expect(loadColoniesConfig(env({ COLONIES_TLS: 'false', COLONIES_SERVER_TLS: 'true' })).tls).toBe(false);
    expect(loadColoniesConfig(env({ COLONIES_TLS: undefined, COLONIES_SERVER_TLS: 'false' })).tls).toBe(false);
    expect(loadColoniesConfig(env({ COLONIES_TLS: undefined, COLONIES_SERVER_TLS: 'true' })).url).toBe('https://colonies.example.org:443');
    expect(configError(env({ COLONIES_TLS: undefined })).variable).toBe('COLONIES_TLS');
    expect(loadColoniesConfig(env({ COLONIES_SKIP_TLS_VERIFY: 'true' })).skipTlsVerify).toBe(true);
  });

  it('reads COLONIES_SERVER_HTTP_PORT first, as the Go CLI does, and COLONIES_SERVER_PORT without it', () => {
    expect(loadColoniesConfig(env({ COLONIES_SERVER_PORT: undefined, COLONIES_SERVER_HTTP_PORT: '50080' })).port).toBe(50080);
    expect(loadColoniesConfig(env({ COLONIES_SERVER_PORT: '443', COLONIES_SERVER_HTTP_PORT: '50080' })).port).toBe(50080);
    expect(loadColoniesConfig(env({ COLONIES_SERVER_HTTP_PORT: '' })).port).toBe(443);
    const bad = configError(env({ COLONIES_SERVER_HTTP_PORT: 'http' }));
    expect(bad.variable).toBe('COLONIES_SERVER_HTTP_PORT');
    expect(bad.message).toMatch(/COLONIES_SERVER_HTTP_PORT should be an integer/);
    expect(configError(env({ COLONIES_SERVER_PORT: undefined })).message).toMatch(/COLONIES_SERVER_PORT is not set \(nor COLONIES_SERVER_HTTP_PORT\)/);
  });

  it('names the variable and says what it should look like', () => {
    const missing = configError(env({ COLONIES_SERVER_HOST: undefined }));
    expect(missing.variable).toBe('COLONIES_SERVER_HOST');
    expect(missing.message).toMatch(/COLONIES_SERVER_HOST is not set: it should be .*host name/);

    expect(configError(env({ COLONIES_SERVER_HOST: 'https://colonies.example.org' })).message).toMatch(/without scheme/);
    expect(configError(env({ COLONIES_SERVER_PORT: '50O80' })).message).toMatch(/COLONIES_SERVER_PORT should be an integer 1–65535/);
    expect(configError(env({ COLONIES_SERVER_PORT: '70000' })).variable).toBe('COLONIES_SERVER_PORT');
    expect(configError(env({ COLONIES_TLS: 'yes please' })).message).toMatch(/COLONIES_TLS should be true or false/);
    expect(configError(env({ COLONIES_SKIP_TLS_VERIFY: 'maybe' })).variable).toBe('COLONIES_SKIP_TLS_VERIFY');
    expect(configError(env({ COLONIES_COLONY_NAME: '' })).variable).toBe('COLONIES_COLONY_NAME');
    expect(configError(env({ COLONIES_COLONY_NAME: 'a:b' })).message).toMatch(/without ':'/);
    expect(configError(env({ COLONYOS_DASHBOARD_URL: 'dashboard' })).variable).toBe('COLONYOS_DASHBOARD_URL');
  });

  it('reports every problem at once', () => {
    const error = configError({ COLONIES_SERVER_PORT: 'x' });
    expect(error.issues.map((i) => i.variable)).toEqual([
      'COLONIES_SERVER_HOST',
      'COLONIES_SERVER_PORT',
      'COLONIES_TLS',
      'COLONIES_COLONY_NAME',
      'COLONIES_PRVKEY',
    ]);
    expect(error.code).toBe('COLONIES_CONFIG_ERROR');
  });

  it('never shows a key, even a malformed one', () => {
    const almost = prv.slice(0, 63); // one digit short
    const e1 = configError(env({ COLONIES_PRVKEY: almost }));
    expect(e1.variable).toBe('COLONIES_PRVKEY');
    expect(e1.message).toMatch(/64 hexadecimal digits; the value set has 63 characters/);
    expect(e1.message).not.toContain(almost);
    expect(inspect(e1)).not.toContain(almost);

    const withJunk = `${prv.slice(0, 60)}zzzz`;
    const e2 = configError(env({ COLONIES_COLONY_PRVKEY: withJunk }));
    expect(e2.variable).toBe('COLONIES_COLONY_PRVKEY');
    expect(e2.message).toMatch(/non-hexadecimal/);
    expect(JSON.stringify(e2.issues)).not.toContain(withJunk.slice(0, 60));

    const zero = configError(env({ COLONIES_SERVER_PRVKEY: '0'.repeat(64) }));
    expect(zero.message).toMatch(/not a valid secp256k1 private key/);
  });

  it('keeps keys out of JSON.stringify and util.inspect of the config and the client', () => {
    const config = loadColoniesConfig(env({ COLONIES_COLONY_PRVKEY: colonyPrv }));
    for (const text of [JSON.stringify(config), inspect(config), inspect(createColoniesClient(config)), JSON.stringify(createColoniesClient(config))]) {
      expect(text).not.toContain(prv);
      expect(text).not.toContain(colonyPrv);
    }
    expect(JSON.stringify(config)).toContain('[redacted]');
    // Spreading keeps them, so the config still works as client options.
    expect({ ...config }.privateKey).toBe(prv);
  });

  it('makes a client that acts as each configured identity', () => {
    const config = loadColoniesConfig(env({ COLONIES_SERVER_HOST: '127.0.0.1', COLONIES_TLS: 'false', COLONIES_SERVER_PORT: '50080', COLONIES_COLONY_PRVKEY: colonyPrv, COLONIES_SERVER_PRVKEY: serverPrv }));
    const client = createColoniesClient(config);
    expect(client.url).toBe('http://127.0.0.1:50080');
    expect(client.pubsubUrl).toBe('ws://127.0.0.1:50080/pubsub');
    expect(client.colonyName).toBe('dev');
    expect(client.id).toBe(idOf(prv));
    expect(client.asColonyOwner().id).toBe(idOf(colonyPrv));
    expect(client.asServerOwner().id).toBe(idOf(serverPrv));
    const other = generatePrivateKey();
    expect(client.as(other).id).toBe(idOf(other));
    expect(client.id).toBe(idOf(prv)); // the original is untouched
  });

  it('optional private key for self-registering executors', () => {
    const config = loadColoniesConfig(env({ COLONIES_PRVKEY: undefined }), { requirePrivateKey: false });
    expect(config.privateKey).toBeUndefined();
  });
});
