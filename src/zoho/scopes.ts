import type { ZohoCallKind } from './credits.js';

/**
 * The OAuth scopes ml-connector asks for by default, for both grants (`auth zoho` and
 * client credentials): one for every kind of call the product makes (reference §1.6). A missing
 * one fails that call with 401 OAUTH_SCOPE_MISMATCH, `check` included. The schema's defaults for
 * `auth.scopes` are the same list (a test compares them).
 */
export const DEFAULT_SCOPES = [
  // Records: list, get, search, upsert, update, delete.
  'ZohoCRM.modules.ALL',
  // Field and module metadata (`check`, lookups, the field list of a mapping).
  'ZohoCRM.settings.fields.READ',
  'ZohoCRM.settings.modules.READ',
  // Who we act as (`check`, echo suppression by our own user) and which organisation.
  'ZohoCRM.users.READ',
  'ZohoCRM.org.READ',
  // Notification channels (`webhooks`, `serve`).
  'ZohoCRM.notifications.ALL',
  // COQL reads: what changed since the last run (ids and times, 2,000 a call), records without an external id.
  'ZohoCRM.coql.READ',
];

/**
 * The default scope that grants each kind of call the client makes. Typed by the call kinds, so a
 * new kind of call needs its scope here, and a test checks each is in DEFAULT_SCOPES.
 */
export const SCOPE_OF_CALL: Record<ZohoCallKind, string> = {
  list: 'ZohoCRM.modules.ALL',
  get: 'ZohoCRM.modules.ALL',
  search: 'ZohoCRM.modules.ALL',
  upsert: 'ZohoCRM.modules.ALL',
  insert: 'ZohoCRM.modules.ALL',
  update: 'ZohoCRM.modules.ALL',
  delete: 'ZohoCRM.modules.ALL',
  fields: 'ZohoCRM.settings.fields.READ',
  modules: 'ZohoCRM.settings.modules.READ',
  users: 'ZohoCRM.users.READ',
  org: 'ZohoCRM.org.READ',
  watch: 'ZohoCRM.notifications.ALL',
  coql: 'ZohoCRM.coql.READ',
};
