// COLONIES_* environment (colonies-protocol.md §2.7) → client options.
// Every problem is reported at once, each naming its variable and the expected
// form. Key values never appear in messages, logs, JSON or util.inspect.
import { privateKeyBytes } from '@pollinator/crypto/signing';
import { ColoniesConfigError, type ConfigIssue } from './errors';

export interface ColoniesConfig {
  host: string;
  port: number;
  tls: boolean;
  skipTlsVerify: boolean;
  colonyName: string;
  /** `http(s)://host:port` */
  url: string;
  /** COLONIES_PRVKEY: the caller (user or executor). */
  privateKey?: string;
  /** COLONIES_COLONY_PRVKEY: the colony owner. */
  colonyPrivateKey?: string;
  /** COLONIES_SERVER_PRVKEY: the server owner. */
  serverPrivateKey?: string;
  /** COLONYOS_DASHBOARD_URL, without trailing slash. */
  dashboardUrl?: string;
}

export interface LoadColoniesConfigOptions {
  /** Require COLONIES_PRVKEY (default true). Executors that self-register may set false. */
  requirePrivateKey?: boolean;
  /** Require COLONIES_COLONY_NAME (default true). */
  requireColonyName?: boolean;
}

type Env = Record<string, string | undefined>;

const HOST_RE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$|^\d{1,3}(?:\.\d{1,3}){3}$|^\[?[0-9A-Fa-f:.]+\]?$/;
const KEY_RE = /^[0-9a-fA-F]{64}$/;

const KEY_VARIABLES = ['COLONIES_PRVKEY', 'COLONIES_COLONY_PRVKEY', 'COLONIES_SERVER_PRVKEY'] as const;

/** Reads the COLONIES_* variables. Throws one `ColoniesConfigError` listing every problem. */
export function loadColoniesConfig(env: Env = process.env, options: LoadColoniesConfigOptions = {}): ColoniesConfig {
  const issues: ConfigIssue[] = [];
  const issue = (variable: string, message: string) => issues.push({ variable, message: `${variable} ${message}` });
  const value = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };

  const host = value('COLONIES_SERVER_HOST');
  if (host === undefined) issue('COLONIES_SERVER_HOST', 'is not set: it should be the Colonies server host name or IP address, e.g. localhost or colonies.example.org');
  else if (/^[a-z]+:\/\//i.test(host) || host.includes('/')) issue('COLONIES_SERVER_HOST', `should be a bare host name without scheme or path (e.g. colonies.example.org), got ${JSON.stringify(host)}`);
  else if (!HOST_RE.test(host)) issue('COLONIES_SERVER_HOST', `should be a host name or IP address (e.g. localhost), got ${JSON.stringify(host)}`);

  // The Go CLI reads COLONIES_SERVER_HTTP_PORT first, then COLONIES_SERVER_PORT; so does this.
  const portVariable = value('COLONIES_SERVER_HTTP_PORT') === undefined ? 'COLONIES_SERVER_PORT' : 'COLONIES_SERVER_HTTP_PORT';
  const portText = value(portVariable);
  let port = 0;
  if (portText === undefined) issue('COLONIES_SERVER_PORT', 'is not set (nor COLONIES_SERVER_HTTP_PORT): it should be the server port, an integer 1–65535 (e.g. 50080, or 443 behind a TLS proxy)');
  else if (!/^\d+$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) issue(portVariable, `should be an integer 1–65535 (e.g. 50080), got ${JSON.stringify(portText)}`);
  else port = Number(portText);

  const bool = (name: string): boolean | undefined | 'bad' => {
    const v = value(name);
    if (v === undefined) return undefined;
    const lower = v.toLowerCase();
    if (lower === 'true' || lower === '1' || lower === 'yes') return true;
    if (lower === 'false' || lower === '0' || lower === 'no') return false;
    issue(name, `should be true or false, got ${JSON.stringify(v)}`);
    return 'bad';
  };
  // COLONIES_TLS (colonies CLI ≥ 1.9.4) wins; COLONIES_SERVER_TLS is the older name.
  let tlsValue = bool('COLONIES_TLS');
  if (tlsValue === undefined) tlsValue = bool('COLONIES_SERVER_TLS');
  if (tlsValue === undefined) issue('COLONIES_TLS', 'is not set (nor COLONIES_SERVER_TLS): it should be true (https/wss, e.g. behind a TLS proxy on 443) or false (plain http, the v1.9 server itself)');
  const skipValue = bool('COLONIES_SKIP_TLS_VERIFY');

  const colonyName = value('COLONIES_COLONY_NAME');
  if (colonyName === undefined) {
    if (options.requireColonyName !== false) issue('COLONIES_COLONY_NAME', 'is not set: it should be the name of your colony, e.g. dev');
  } else if (colonyName.includes(':')) issue('COLONIES_COLONY_NAME', `should be a colony name without ':' (e.g. dev), got ${JSON.stringify(colonyName)}`);

  const keys: Partial<Record<(typeof KEY_VARIABLES)[number], string>> = {};
  for (const name of KEY_VARIABLES) {
    const v = value(name);
    if (v === undefined) {
      if (name === 'COLONIES_PRVKEY' && options.requirePrivateKey !== false) {
        issue(name, 'is not set: it should be your private key, 64 hexadecimal digits');
      }
      continue;
    }
    // Never echo the value: describe it.
    if (!KEY_RE.test(v)) {
      issue(name, `should be a private key of 64 hexadecimal digits; the value set has ${v.length} characters${/^[0-9a-fA-F]*$/.test(v) ? '' : ' and non-hexadecimal ones'}`);
      continue;
    }
    try {
      privateKeyBytes(v); // the range check alone: deriving the id would cost a curve multiplication
    } catch {
      issue(name, 'is not a valid secp256k1 private key (it must be between 1 and the curve order − 1)');
      continue;
    }
    keys[name] = v.toLowerCase();
  }

  const dashboard = value('COLONYOS_DASHBOARD_URL');
  let dashboardUrl: string | undefined;
  if (dashboard !== undefined) {
    try {
      const u = new URL(dashboard);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
      dashboardUrl = dashboard.replace(/\/+$/, '');
    } catch {
      issue('COLONYOS_DASHBOARD_URL', `should be an http(s) URL such as https://dashboard.colonyos.io, got ${JSON.stringify(dashboard)}`);
    }
  }

  if (issues.length > 0) {
    const first = issues[0]!;
    const message =
      issues.length === 1
        ? `invalid ColonyOS configuration: ${first.message}`
        : `invalid ColonyOS configuration:\n${issues.map((i) => `  - ${i.message}`).join('\n')}`;
    throw new ColoniesConfigError(first.variable, message, issues);
  }

  const tls = tlsValue === true;
  const bracketed = host!.includes(':') && !host!.startsWith('[') ? `[${host}]` : host!;
  const config: ColoniesConfig = {
    host: host!,
    port,
    tls,
    skipTlsVerify: skipValue === true,
    colonyName: colonyName ?? '',
    url: `${tls ? 'https' : 'http'}://${bracketed}:${port}`,
  };
  if (dashboardUrl) config.dashboardUrl = dashboardUrl;
  hideKey(config, 'privateKey', keys.COLONIES_PRVKEY);
  hideKey(config, 'colonyPrivateKey', keys.COLONIES_COLONY_PRVKEY);
  hideKey(config, 'serverPrivateKey', keys.COLONIES_SERVER_PRVKEY);
  return config;
}

/**
 * Keys are enumerable (so `{ ...config }` keeps them) but `JSON.stringify`
 * and `util.inspect` show `[redacted]`.
 */
function hideKey(config: ColoniesConfig, field: 'privateKey' | 'colonyPrivateKey' | 'serverPrivateKey', key: string | undefined): void {
  if (key === undefined) return;
  config[field] = key;
  if (!Object.prototype.hasOwnProperty.call(config, 'toJSON')) {
    const redacted = () => {
      const copy: Record<string, unknown> = { ...config };
      for (const f of ['privateKey', 'colonyPrivateKey', 'serverPrivateKey']) if (copy[f] !== undefined) copy[f] = '[redacted]';
      return copy;
    };
    Object.defineProperty(config, 'toJSON', { value: redacted, enumerable: false });
    Object.defineProperty(config, Symbol.for('nodejs.util.inspect.custom'), {
      value: () => redacted(),
      enumerable: false,
    });
  }
}
