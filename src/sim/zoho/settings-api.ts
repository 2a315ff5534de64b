import { empty, json, zohoError, type Reply } from './http-io.js';
import type { Org, ZohoUser } from './org.js';
import { parseSinceHeader } from './records-write.js';
import { describeField } from './schema.js';

/** Metadata the SDK and clients read: settings/fields, settings/modules, users, org. */

export function missingModule(org: Org, name: string | null): Reply {
  if (name === null) return zohoError(400, 'REQUIRED_PARAM_MISSING', 'One of the expected parameter is missing', { param_name: 'module' });
  return zohoError(org.quirks.missingModuleStatus, 'INVALID_MODULE', 'the module name given seems to be invalid', { resource_path_index: 0 });
}

export function getFields(org: Org, query: URLSearchParams, fieldId?: string): Reply {
  const name = query.get('module');
  const def = name === null ? undefined : org.modules.get(name);
  if (!def) return missingModule(org, name);
  const type = query.get('type');
  if (type !== null && !['all', 'used', 'unused'].includes(type)) {
    return zohoError(400, 'INVALID_DATA', 'invalid data', { param_name: 'type', supported_values: ['all', 'used', 'unused'] });
  }
  let fields = def.fields;
  if (fieldId !== undefined) {
    fields = fields.filter((f) => f.id === fieldId);
    if (fields.length === 0) return zohoError(400, 'INVALID_DATA', 'the id given seems to be invalid', { resource_path_index: 3 });
  }
  if (type === 'unused') return empty(204);
  return json(200, { fields: fields.map((f) => describeField(f, org.modules)) });
}

export function getModules(org: Org, ifModifiedSince: string | undefined): Reply {
  const since = parseSinceHeader(ifModifiedSince);
  if (since === 'invalid') return zohoError(400, 'INVALID_DATA', 'invalid data', { header_name: 'If-Modified-Since' });
  if (since !== undefined && org.startedAt <= since) return empty(304);
  const modules = [...org.modules.values()].map((m, i) => ({
    api_name: m.apiName,
    module_name: m.apiName,
    singular_label: m.singular,
    plural_label: m.apiName,
    id: m.id,
    api_supported: true,
    generated_type: 'default',
    creatable: true,
    editable: true,
    deletable: true,
    viewable: true,
    visible: true,
    status: 'visible',
    sequence_number: i + 1,
    modified_time: org.time(org.startedAt),
    modified_by: null,
  }));
  return json(200, { modules });
}

function describeUser(org: Org, u: ZohoUser): Record<string, unknown> {
  return {
    id: u.id,
    zuid: u.zuid,
    first_name: u.firstName,
    last_name: u.lastName,
    full_name: `${u.firstName} ${u.lastName}`,
    email: u.email,
    role: { name: u.role, id: `${u.id.slice(0, 15)}2001` },
    profile: { name: u.profile, id: `${u.id.slice(0, 15)}3001` },
    status: 'active',
    confirm: true,
    time_zone: 'America/Los_Angeles',
    locale: 'en_US',
    created_time: org.time(org.startedAt),
  };
}

export function getUsers(org: Org, query: URLSearchParams, apiUserId: string): Reply {
  const type = query.get('type') ?? 'AllUsers';
  const known = ['AllUsers', 'ActiveUsers', 'CurrentUser', 'AdminUsers', 'ActiveConfirmedUsers'];
  if (!known.includes(type)) return zohoError(400, 'INVALID_DATA', 'invalid data', { param_name: 'type', supported_values: known });
  let users = org.users;
  if (type === 'CurrentUser') users = users.filter((u) => u.id === apiUserId);
  if (type === 'AdminUsers') users = users.filter((u) => u.profile === 'Administrator');
  return json(200, {
    users: users.map((u) => describeUser(org, u)),
    info: { per_page: 200, count: users.length, page: 1, more_records: false },
  });
}

export function getOrg(org: Org, orgId: string): Reply {
  return json(200, {
    org: [
      {
        id: orgId,
        company_name: 'Example Professional Services (simulated)',
        alias: null,
        primary_email: 'patricia.boyle@example.com',
        time_zone: 'America/Los_Angeles',
        iso_code: 'USD',
        currency_symbol: '$',
        country_code: 'US',
        domain_name: `org${orgId}`,
        zgid: orgId,
        mc_status: false,
        type: 'production',
        license_details: { paid: org.edition !== 'free', paid_type: org.edition, users_license_purchased: 10 },
      },
    ],
  });
}
