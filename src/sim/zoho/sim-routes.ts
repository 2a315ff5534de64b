import { addHandMade } from './fixture.js';
import { json, type Reply } from './http-io.js';
import type { Org } from './org.js';
import type { ZohoFixture } from './types.js';

/**
 * The simulator's own control routes, outside `/crm/v8` so no real client can reach them by
 * mistake: `POST /sim/hand-made` with `{"records": {"Contacts": [...], "Accounts": [...]}}` adds
 * records as if a person had typed them into the Zoho UI (see addHandMade), and answers
 * `{"ids": {"Contacts": ["…"]}}`; a record Zoho would refuse answers 400 and adds nothing.
 */
export function handleSimRoute(org: Org, method: string, path: string, body: Buffer): Reply {
  if (path !== '/sim/hand-made') return json(404, { error: `no simulator route ${path}; POST /sim/hand-made adds hand-made records` });
  if (method !== 'POST') return json(405, { error: 'use POST' });
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return json(400, { error: 'the body is not JSON: send {"records": {"Contacts": [...]}}' });
  }
  const records = (parsed as { records?: unknown } | null)?.records;
  if (records === null || typeof records !== 'object' || Array.isArray(records) || Object.values(records).some((v) => !Array.isArray(v))) {
    return json(400, { error: 'send {"records": {"<Module>": [<record>, ...]}} with records in the API\'s JSON shape' });
  }
  try {
    return json(201, { ids: addHandMade(org, records as ZohoFixture['records']) });
  } catch (err) {
    return json(400, { error: err instanceof Error ? err.message : String(err) });
  }
}
