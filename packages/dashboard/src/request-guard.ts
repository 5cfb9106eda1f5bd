// Who may talk to the dashboard: only this machine's browser, through the
// link `pollinator ui` printed. The Host check stops DNS rebinding (a foreign
// site resolving its name to 127.0.0.1), the Origin / Sec-Fetch-Site checks
// stop cross-site form posts and fetches, and the session token (exchanged
// for an HttpOnly SameSite=Strict cookie) stops every other local page and user.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { DashboardError } from './dashboard-errors';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The cookie of this dashboard: named after its port, because cookies are shared across ports of one host. */
export function cookieName(port: number): string {
  return `pollinator_dashboard_${port}`;
}

export function allowedHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

/** Refuses a request whose `Host` is not this server's loopback address (DNS rebinding). */
export function checkHost(request: IncomingMessage, port: number): void {
  const host = (request.headers.host ?? '').toLowerCase();
  if (!allowedHosts(port).includes(host)) {
    throw new DashboardError(
      'DASHBOARD_FOREIGN_HOST',
      403,
      `refused: the Host header "${host}" is not this dashboard (only ${allowedHosts(port).join(' and ')}); open the link \`pollinator ui\` printed`,
    );
  }
}

/** Refuses state-changing requests from another site (Origin / Sec-Fetch-Site). */
export function checkSameOrigin(request: IncomingMessage, port: number): void {
  if (SAFE_METHODS.has(request.method ?? 'GET')) return;
  const origin = request.headers.origin;
  if (origin !== undefined && !allowedHosts(port).some((host) => origin === `http://${host}`)) {
    throw new DashboardError('DASHBOARD_CROSS_SITE', 403, `refused: a cross-site request from ${origin}`);
  }
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw new DashboardError('DASHBOARD_CROSS_SITE', 403, `refused: a cross-site request (Sec-Fetch-Site: ${String(site)})`);
  }
}

export function sameToken(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieValue(request: IncomingMessage, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

/** The session token of a request: its cookie, or `Authorization: Bearer` (scripts, tests). */
export function requestToken(request: IncomingMessage, port: number): string | undefined {
  const authorization = request.headers.authorization;
  if (authorization?.startsWith('Bearer ')) return authorization.slice('Bearer '.length);
  return cookieValue(request, cookieName(port));
}

export function checkToken(request: IncomingMessage, port: number, token: string): void {
  if (!sameToken(requestToken(request, port), token)) {
    throw new DashboardError(
      'DASHBOARD_TOKEN_REQUIRED',
      401,
      'this dashboard needs its session token: open the link `pollinator ui` printed (http://127.0.0.1:PORT/?token=…)',
    );
  }
}

export function sessionCookie(port: number, token: string): string {
  return `${cookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}
