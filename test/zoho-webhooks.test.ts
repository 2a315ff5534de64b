import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { openStateStore, type StateStore } from '../src/state/index.js';
import { createWebhookReceiver } from '../src/zoho/index.js';
import { channelIdFor, channelResolver, enableChannels, renewChannels, disableChannels, webhookSecretName } from '../src/zoho/webhooks.js';
import { contacts, startRig, type ZohoRig } from './zoho-harness.js';

let rig: ZohoRig | undefined;
let server: Server | undefined;
let store: StateStore | undefined;
let dir: string | undefined;
afterEach(async () => {
  await rig?.close();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  rig = undefined;
  server = undefined;
  store = undefined;
  dir = undefined;
});

/** A simulator, a real state store, and `serve`'s receiver on a real port. */
async function setup(): Promise<{ rig: ZohoRig; store: StateStore; url: string; changes: string[][] }> {
  dir = mkdtempSync(join(tmpdir(), 'ml-zoho-wh-'));
  store = await openStateStore(join(dir, 'state.db'), { masterKey: randomBytes(32) });
  const changes: string[][] = [];
  server = createServer();
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/zoho`;
  rig = await startRig({ conn: { webhooks: { notifyUrl: url, channelExpiryHours: 24 } } });
  const receiver = createWebhookReceiver({
    client: rig.client,
    channel: channelResolver(rig.conn, ['Contacts', 'Accounts'], store.secrets),
    sink: store,
    fields: () => ['Last_Name', 'PeopleSoft_Employee_ID'],
    onChange: (c) => {
      changes.push(c.records.map((r) => String(r.Last_Name)));
    },
  });
  server.on('request', (req, res) => void receiver(req, res));
  return { rig, store, url, changes };
}

describe('Zoho notification channels and the webhook receiver', () => {
  it('enables a channel per module with a stored token, receives a change made in Zoho, and ignores the echo of our own write', async () => {
    const { rig, store, changes } = await setup();
    const enabled = await enableChannels({ conn: rig.conn, client: rig.client, secrets: store.secrets, clock: rig.clock }, ['Contacts']);
    expect(enabled).toEqual([expect.objectContaining({ module: 'Contacts', action: 'enabled', channelId: channelIdFor('zoho', 'Contacts') })]);
    expect(await store.secrets.has(webhookSecretName('zoho', 'Contacts'))).toBe(true);

    const [w] = await rig.client.upsert('Contacts', contacts(1), { duplicateCheckFields: ['PeopleSoft_Employee_ID'] });
    await rig.sim.flushNotifications();
    rig.clock.advance(2000);
    rig.sim.editRecord('Contacts', w!.id!, { Last_Name: 'EditedInZoho' });
    await rig.sim.flushNotifications();

    expect(rig.sim.deliveries.map((d) => d.status)).toEqual([200, 200]);
    const events = await store.listWebhookEvents();
    expect(events.map((e) => e.status)).toEqual(['ignored', 'processed']);
    expect(events[0]!.detail).toMatch(/echo/);
    expect(events[1]).toMatchObject({ module: 'Contacts', recordIds: [w!.id] });
    expect(changes).toEqual([['EditedInZoho']]);
  });

  it('refuses a callback with a wrong token (or unknown channel) with a bare 401, and stores nothing for it', async () => {
    const { rig, store, url } = await setup();
    await enableChannels({ conn: rig.conn, client: rig.client, secrets: store.secrets, clock: rig.clock }, ['Contacts']);
    const post = async (body: unknown): Promise<{ status: number; text: string }> => {
      const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.statusCode, text: await res.body.text() };
    };
    const channel_id = channelIdFor('zoho', 'Contacts');
    expect(await post({ channel_id, token: 'guessed-token', module: 'Contacts', operation: 'update', ids: ['1'] })).toEqual({ status: 401, text: '' });
    expect(await post({ channel_id: '999', token: 'x', ids: ['1'] })).toEqual({ status: 401, text: '' });
    expect(await post('not an object')).toEqual({ status: 401, text: '' });
    const good = await store.secrets.get(webhookSecretName('zoho', 'Contacts'));
    expect((await post({ channel_id, token: good, module: 'Contacts', operation: 'update', ids: [] })).status).toBe(200);
    const events = await store.listWebhookEvents();
    // Refusals are not stored (anyone who reaches the endpoint could grow the database); serve counts them.
    expect(events.map((e) => e.status)).toEqual(['ignored']);
    expect(JSON.stringify(events)).not.toContain(good);
    expect(JSON.stringify(events)).not.toContain('guessed-token');
  });

  it('renews a channel before it expires, so callbacks keep coming past the first expiry', async () => {
    const { rig, store } = await setup();
    const ctx = { conn: rig.conn, client: rig.client, secrets: store.secrets, clock: rig.clock };
    const [first] = await enableChannels(ctx, ['Contacts']);
    expect(first!.expiresAt! - rig.clock.now()).toBeGreaterThan(23 * 3_600_000);

    rig.clock.advance(6 * 3_600_000);
    expect((await renewChannels(ctx, ['Contacts']))[0]!.action).toBe('kept');
    rig.clock.advance(7 * 3_600_000); // 13 h in: past half the lifetime
    const [renewed] = await renewChannels(ctx, ['Contacts']);
    expect(renewed!.action).toBe('renewed');
    expect(renewed!.expiresAt!).toBeGreaterThan(first!.expiresAt! + 12 * 3_600_000);

    rig.clock.advance(15 * 3_600_000); // 28 h in: the first expiry has passed
    expect((await rig.client.channels.list('Contacts')).map((c) => c.channelId)).toEqual([first!.channelId]);
    const [w] = await rig.client.upsert('Contacts', contacts(1), { duplicateCheckFields: ['PeopleSoft_Employee_ID'] });
    rig.sim.editRecord('Contacts', w!.id!, { Last_Name: 'Later' });
    await rig.sim.flushNotifications();
    expect(rig.sim.deliveries.filter((d) => d.status === 200).length).toBeGreaterThanOrEqual(1);

    expect((await disableChannels(ctx, ['Contacts']))[0]!.action).toBe('disabled');
    expect(await rig.client.channels.list('Contacts')).toEqual([]);
    expect(await store.secrets.has(webhookSecretName('zoho', 'Contacts'))).toBe(false);
  });
});
