import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/support/clock.js';
import { startZohoSimulator, type ZohoSimulator } from '../src/sim/zoho/index.js';

/** Notification channels over real HTTP, with callbacks delivered to a local receiver. */

const clock = new ManualClock(Date.parse('2026-03-02T17:00:00Z'));
let sim: ZohoSimulator;
let token: string;
let receiver: Server;
let hookUrl: string;
const received: Array<Record<string, any>> = [];

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${sim.apiDomain}${path}`, {
    method,
    headers: { Authorization: `Zoho-oauthtoken ${token}` },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const watch = (channel: string, events: string[], extra: Record<string, unknown> = {}) => ({
  watch: [{ channel_id: channel, events, notify_url: `${hookUrl}?secret=abc`, token: `tok-${channel}`, ...extra }],
});

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      received.push({ path: req.url, contentType: req.headers['content-type'], ...JSON.parse(text) });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  sim = await startZohoSimulator({ clock });
  token = await accessToken();
});

async function accessToken(): Promise<string> {
  const c = sim.credentials;
  const res = await fetch(`${sim.accountsUrl}/oauth/v2/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'refresh_token', client_id: c.clientId, client_secret: c.clientSecret, refresh_token: c.refreshToken }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}
afterAll(async () => {
  await sim.close();
  await new Promise((r) => receiver.close(r));
});
beforeEach(async () => {
  const list = await call('GET', '/crm/v8/actions/watch');
  if (list.status === 200) {
    const ids = [...new Set((list.body.watch as any[]).map((w) => w.channel_id))].join(',');
    await call('DELETE', `/crm/v8/actions/watch?channel_ids=${ids}`);
  }
  received.length = 0;
});

describe('Zoho notifications', () => {
  it('enables a channel (201, 1 h default expiry) and POSTs insert, update and delete callbacks with the token', async () => {
    const on = await call('POST', '/crm/v8/actions/watch', watch('1000000068001', ['Contacts.all']));
    expect(on.status).toBe(201);
    expect(on.body.watch[0]).toMatchObject({ code: 'SUCCESS', status: 'success', message: 'Successfully subscribed for actions-watch of the given module' });
    expect(on.body.watch[0].details.events[0]).toMatchObject({ channel_id: '1000000068001', resource_name: 'Contacts', channel_expiry: '2026-03-02T11:00:00-07:00' });

    const ins = await call('POST', '/crm/v8/Contacts', { data: [{ Last_Name: 'Lovelace' }, { Last_Name: 'Hopper' }] });
    const ids = ins.body.data.map((r: any) => r.details.id);
    await sim.flushNotifications();
    expect(received).toHaveLength(1);
    expect(received[0]).toEqual({
      path: '/hook?secret=abc',
      contentType: 'application/json',
      server_time: clock.now(),
      query_params: { secret: 'abc' },
      module: 'Contacts',
      resource_uri: `${sim.url}/crm/v2/Contacts`,
      ids,
      affected_fields: [],
      operation: 'insert',
      channel_id: '1000000068001',
      token: 'tok-1000000068001',
    });

    await call('PUT', '/crm/v8/Contacts', { data: [{ id: ids[0], Title: 'Countess' }] });
    sim.editRecord('Contacts', ids[1], { Title: 'Rear Admiral' });
    await call('DELETE', `/crm/v8/Contacts?ids=${ids.join(',')}`);
    await sim.flushNotifications();
    expect(received.map((r) => [r.operation, r.ids])).toEqual([
      ['insert', ids],
      ['update', [ids[0]]],
      ['update', [ids[1]]],
      ['delete', ids],
    ]);
    expect(sim.requests.count({ kind: 'notify', status: 200 })).toBe(4);
    expect(sim.deliveries).toHaveLength(4);
  });

  it('sends only the subscribed events, and affected fields when asked', async () => {
    await call('POST', '/crm/v8/actions/watch', watch('2001', ['Accounts.edit'], { return_affected_field_values: true }));
    const acc = await call('POST', '/crm/v8/Accounts', { data: [{ Account_Name: 'Acme' }] });
    await call('POST', '/crm/v8/Contacts', { data: [{ Last_Name: 'Nobody' }] });
    const id = acc.body.data[0].details.id;
    await call('PUT', '/crm/v8/Accounts', { data: [{ id, Phone: '+1 555 0100', Account_Name: 'Acme' }] });
    await sim.flushNotifications();
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ operation: 'update', module: 'Accounts', ids: [id], affected_fields: [{ [id]: ['Phone'] }] });
  });

  it('validates channels: token ≤ 50 chars, notify_url and events mandatory, unknown modules refused', async () => {
    const long = await call('POST', '/crm/v8/actions/watch', watch('3001', ['Contacts.all'], { token: 'x'.repeat(51) }));
    expect(long).toMatchObject({ status: 400, body: { watch: [{ code: 'INVALID_DATA', details: { api_name: 'token' }, status: 'error' }] } });
    const noUrl = await call('POST', '/crm/v8/actions/watch', { watch: [{ channel_id: '3002', events: ['Contacts.all'] }] });
    expect(noUrl.body.watch[0]).toMatchObject({ code: 'MANDATORY_NOT_FOUND', details: { api_name: 'notify_url' } });
    const noEvents = await call('POST', '/crm/v8/actions/watch', { watch: [{ channel_id: '3003', notify_url: hookUrl }] });
    expect(noEvents.body.watch[0]).toMatchObject({ code: 'MANDATORY_NOT_FOUND', details: { api_name: 'events' } });
    const badModule = await call('POST', '/crm/v8/actions/watch', watch('3004', ['Leads.all']));
    expect(badModule.body.watch[0]).toMatchObject({ code: 'INVALID_DATA', details: { api_name: 'events' } });
    expect((await call('POST', '/crm/v8/actions/watch', {})).status).toBe(400);
  });

  it('caps expiry at one week (beyond it: 1 h), lists channels, renews with PATCH, drops events, deletes', async () => {
    const inWeek = new Date(clock.now() + 3 * 24 * 3600_000).toISOString();
    const tooFar = new Date(clock.now() + 8 * 24 * 3600_000).toISOString();
    expect((await call('POST', '/crm/v8/actions/watch', watch('4001', ['Contacts.create', 'Contacts.edit'], { channel_expiry: inWeek }))).body.watch[0].details.events[0].channel_expiry).toBe('2026-03-05T10:00:00-07:00');
    expect((await call('POST', '/crm/v8/actions/watch', watch('4002', ['Accounts.all'], { channel_expiry: tooFar }))).body.watch[0].details.events[0].channel_expiry).toBe('2026-03-02T11:00:00-07:00');

    const list = await call('GET', '/crm/v8/actions/watch');
    expect(list.status).toBe(200);
    expect(list.body.info).toMatchObject({ count: 2, more_records: false });
    expect(list.body.watch.find((w: any) => w.channel_id === '4001')).toMatchObject({ events: ['Contacts.create', 'Contacts.edit'], token: 'tok-4001', notify_url: `${hookUrl}?secret=abc` });

    const renew = await call('PATCH', '/crm/v8/actions/watch', { watch: [{ channel_id: '4002', channel_expiry: inWeek }] });
    expect(renew).toMatchObject({ status: 200, body: { watch: [{ code: 'SUCCESS', message: 'Successfully updated the subscribe details' }] } });
    const drop = await call('PATCH', '/crm/v8/actions/watch', { watch: [{ channel_id: '4001', events: ['Contacts.create'], _delete_events: true }] });
    expect(drop.body.watch[0].message).toBe('Successfully removed the subscribe details');
    expect((await call('GET', '/crm/v8/actions/watch?channel_id=4001')).body.watch[0].events).toEqual(['Contacts.edit']);
    expect((await call('PATCH', '/crm/v8/actions/watch', { watch: [{ channel_id: '4999', events: ['Contacts.all'] }] })).body.watch[0].code).toBe('NOT_SUBSCRIBED');

    // PUT replaces every detail: the token not given is gone.
    await call('PUT', '/crm/v8/actions/watch', { watch: [{ channel_id: '4001', events: ['Contacts.delete'], notify_url: hookUrl }] });
    expect((await call('GET', '/crm/v8/actions/watch?channel_id=4001')).body.watch[0]).toMatchObject({ events: ['Contacts.delete'], token: null });

    const del = await call('DELETE', '/crm/v8/actions/watch?channel_ids=4001,4002');
    expect(del).toMatchObject({ status: 200, body: { watch: [{ message: 'Successfully un-subscribed from actions-watch' }, { code: 'SUCCESS' }] } });
    expect((await call('GET', '/crm/v8/actions/watch')).status).toBe(204);
    expect((await call('DELETE', '/crm/v8/actions/watch?channel_ids=4001')).body.watch[0].code).toBe('NOT_SUBSCRIBED');
  });

  it('stops sending once a channel expired', async () => {
    await call('POST', '/crm/v8/actions/watch', watch('5001', ['Contacts.all']));
    await call('POST', '/crm/v8/Contacts', { data: [{ Last_Name: 'Before' }] });
    clock.advance(3600_000);
    token = await accessToken(); // the access token expired with the channel
    expect((await call('POST', '/crm/v8/Contacts', { data: [{ Last_Name: 'After' }] })).status).toBe(201);
    await sim.flushNotifications();
    expect(received).toHaveLength(1);
    expect((await call('GET', '/crm/v8/actions/watch')).status).toBe(204);
  });
});
