/**
 * Who may use the dashboard: the Host check (DNS rebinding), the cross-site
 * checks on state-changing requests, the session token and its cookie, and
 * the SPA host (built and not built).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, startDashboardColony, type DashboardColony } from './dashboard.test-helpers';

let colony: DashboardColony;

beforeAll(async () => {
  colony = await startDashboardColony();
});
afterAll(async () => {
  await colony?.close();
});

describe('dashboard security', () => {
  it('refuses a foreign Host header with 403 and a plain message, on pages and on the API', async () => {
    for (const path of ['/', '/api/runs', `/?token=${colony.dashboard.token}`]) {
      const reply = await colony.call(path, { headers: { host: `evil.example:${colony.dashboard.port}` } });
      expect(reply.status).toBe(403);
      expect(reply.text).toMatch(/Host header "evil.example:\d+" is not this dashboard/);
      expect(reply.text).not.toContain(colony.dashboard.token);
      expect(reply.headers['content-type']).toMatch(/text\/plain/);
    }
    expect((await colony.call('/api/runs', { headers: { host: `127.0.0.1:${colony.dashboard.port + 1}` } })).status).toBe(403);
    expect((await colony.call('/api/runs', { headers: { host: `localhost:${colony.dashboard.port}` } })).status).toBe(200);
  });

  it('refuses cross-site state-changing requests (Origin, Sec-Fetch-Site)', async () => {
    const processId = await colony.submit('cross-site');
    const cancel = `/api/runs/${processId}/cancel`;
    const foreign = await colony.call(cancel, { method: 'POST', headers: { origin: 'http://evil.example' } });
    expect(foreign.status).toBe(403);
    expect(foreign.headers['content-type']).toMatch(/text\/plain/);
    expect(foreign.text).toBe('refused: a cross-site request from http://evil.example\n');
    const site = await colony.call(cancel, { method: 'POST', headers: { 'sec-fetch-site': 'cross-site' } });
    expect(site.status).toBe(403);
    expect((await colony.user.getProcess(processId)).state).toBe(0);
    const same = await colony.call(cancel, { method: 'POST', headers: { origin: `http://localhost:${colony.dashboard.port}`, 'sec-fetch-site': 'same-origin' } });
    expect(same.status).toBe(202);
  });

  it('needs the session token on every API request', async () => {
    const none = await colony.call('/api/runs', { token: false });
    expect(none.status).toBe(401);
    expect(JSON.parse(none.text).error.code).toBe('DASHBOARD_TOKEN_REQUIRED');
    const wrong = await colony.call('/api/executors', { token: false, headers: { authorization: 'Bearer 00' } });
    expect(wrong.status).toBe(401);
    const stream = await colony.call(`/api/events`, { token: false });
    expect(stream.status).toBe(401);
    const badCookie = await colony.call('/api/runs', { headers: { cookie: `pollinator_dashboard_${colony.dashboard.port}=${'0'.repeat(64)}` } });
    expect(badCookie.status).toBe(401);
  });

  it('exchanges the link token for an HttpOnly SameSite=Strict cookie and takes it out of the address', async () => {
    const reply = await colony.call(`/runs?token=${colony.dashboard.token}&state=failed`, { token: false });
    expect(reply.status).toBe(303);
    expect(reply.headers.location).toBe('/runs?state=failed');
    const cookie = reply.headers['set-cookie']?.[0] ?? '';
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const pair = cookie.split(';')[0]!;
    expect(pair).toBe(`pollinator_dashboard_${colony.dashboard.port}=${colony.dashboard.token}`);
    const withCookie = await colony.call('/api/runs', { headers: { cookie: `other=1; ${pair}` } });
    expect(withCookie.status).toBe(200);
    const wrongLink = await colony.call('/?token=nope', { token: false });
    expect(wrongLink.status).toBe(403);
    expect(wrongLink.headers['set-cookie']).toBeUndefined();
  });

  it('serves the app: its files, index.html for other pages, 404 for missing files, nothing outside it', async () => {
    const index = await colony.call('/', { token: false });
    expect(index.status).toBe(200);
    expect(index.text).toContain('<div id="app">');
    expect(index.headers['x-frame-options']).toBe('DENY');
    expect((await colony.call('/runs/abc', { token: false })).text).toContain('<div id="app">');
    const script = await colony.call('/app.js', { token: false });
    expect(script.headers['content-type']).toMatch(/text\/javascript/);
    expect((await colony.call('/missing.js', { token: false })).status).toBe(404);
    const escape = await colony.call('/../../../etc/passwd', { token: false });
    expect(escape.text).not.toContain('root:');
    const encoded = await colony.call('/%2e%2e/%2e%2e/%2e%2e/etc/hostname', { token: false });
    expect([200, 404]).toContain(encoded.status);
    expect(encoded.text === '' || encoded.text.includes('<div id="app">') || encoded.status === 404).toBe(true);
    expect((await colony.call('/', { method: 'POST', token: false })).status).toBe(405);
  });
});

describe('dashboard without a built app', () => {
  it('says how to build it, and the API still answers', async () => {
    const bare = await startDashboardColony({ built: false });
    try {
      const page = await bare.call('/', { token: false });
      expect(page.status).toBe(200);
      expect(page.text).toMatch(/web app is not built/);
      expect(page.text).toMatch(/pnpm --filter @pollinator\/dashboard build/);
      expect((await bare.call('/api/runs')).status).toBe(200);
      const unknownApi = await rawRequest(bare.dashboard.port, '/api/nothing', 'GET', { host: `127.0.0.1:${bare.dashboard.port}`, authorization: `Bearer ${bare.dashboard.token}` });
      expect(unknownApi.status).toBe(404);
      expect(JSON.parse(unknownApi.text)).toEqual({ error: { code: 'DASHBOARD_NOT_FOUND', message: 'the API path /api/nothing was not found' } });
    } finally {
      await bare.close();
    }
  });

  it('opens a run from a ColonyOS-style link (/process?processid=), after the token became the cookie', async () => {
    const linked = await colony.call(`/process?processid=abc123&token=${colony.dashboard.token}`, { token: false });
    expect(linked.status).toBe(303);
    expect(linked.headers.location).toBe('/process?processid=abc123');
    expect(String(linked.headers['set-cookie'])).toMatch(/HttpOnly/);
    const opened = await colony.call('/process?processid=abc123', { token: false });
    expect(opened.status).toBe(303);
    expect(opened.headers.location).toBe('/#/runs/abc123');
  });
});
