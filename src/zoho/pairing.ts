/**
 * What `ml-connector adopt` asks Zoho before it stores an explicit pairing ("source record
 * EXTERNAL_ID is Zoho record ZOHO_ID", like `terraform import`): the record exists, carries no
 * external id of any mapping into its module (or already carries exactly this one), and no other
 * record already holds this external id. Two calls (a get and a search); reads only.
 */
import { MlError } from '../support/errors.js';
import type { ZohoClient } from './client.js';

export interface PairingRequest {
  module: string;
  /** The external-id field of the mapping being paired, e.g. `PeopleSoft_Employee_ID`. */
  externalIdField: string;
  externalId: string;
  zohoId: string;
  /** External-id fields of the other mappings into this module: a record holding one belongs to them. */
  otherExternalIdFields: ReadonlyArray<{ field: string; mapping: string }>;
  /** Connection name, for messages. */
  connection: string;
}

export type PairingVerdict =
  /** The record is free: store the pairing. */
  | { kind: 'pairable' }
  /** The record already carries this external id: it is linked by the next plan, nothing to store. */
  | { kind: 'already-linked' };

const ZOHO_ID = /^\d{6,19}$/;

export async function checkPairing(client: ZohoClient, r: PairingRequest): Promise<PairingVerdict> {
  if (!ZOHO_ID.test(r.zohoId)) {
    throw new MlError('ADOPT_BAD_ZOHO_ID', `"${r.zohoId}" is not a Zoho record id (a Zoho id is a number of up to 19 digits).`, {
      meta: { zohoId: r.zohoId },
      hint: `Copy the id from the record's URL in Zoho CRM (…/tab/${r.module}/<id>), or from an export.`,
    });
  }
  const fields = [r.externalIdField, ...r.otherExternalIdFields.map((o) => o.field)];
  const record = await client.getRecord(r.module, r.zohoId, fields);
  if (record === undefined) {
    throw new MlError('ADOPT_RECORD_NOT_FOUND', `There is no ${r.module} record ${r.zohoId} in Zoho (connection ${r.connection}).`, {
      meta: { module: r.module, zohoId: r.zohoId, connection: r.connection },
      hint: 'Check the id and the module: a contact id is not an account id, and a record in the recycle bin does not count.',
    });
  }
  const own = text(record[r.externalIdField]);
  if (own === r.externalId) return { kind: 'already-linked' };
  if (own !== undefined) {
    throw new MlError('ADOPT_FOREIGN_ID', `${r.module} record ${r.zohoId} already carries ${r.externalIdField} ${own}: it is that source record's, not ${r.externalId}'s.`, {
      meta: { module: r.module, zohoId: r.zohoId, field: r.externalIdField, carries: own },
      hint: `A record that carries another external id is never adopted. If ${own} is wrong, correct or clear ${r.externalIdField} in Zoho first, then pair again.`,
    });
  }
  for (const other of r.otherExternalIdFields) {
    const held = text(record[other.field]);
    if (held === undefined) continue;
    throw new MlError('ADOPT_FOREIGN_ID', `${r.module} record ${r.zohoId} carries ${other.field} ${held}: it belongs to mapping ${other.mapping}.`, {
      meta: { module: r.module, zohoId: r.zohoId, field: other.field, carries: held, mapping: other.mapping },
      hint: 'One Zoho record is synced by one mapping. Pair another record, or change the other mapping.',
    });
  }
  // Search, not X-EXTERNAL: the external-id field may be merely unique rather than marked external.
  const holder = (await client.searchByField(r.module, r.externalIdField, [r.externalId], [r.externalIdField])).find((h) => h.id !== r.zohoId);
  if (holder !== undefined) {
    throw new MlError('ADOPT_EXTERNAL_ID_TAKEN', `${r.externalIdField} ${r.externalId} is already on ${r.module} record ${holder.id}: pairing it with ${r.zohoId} too would make two.`, {
      meta: { module: r.module, field: r.externalIdField, externalId: r.externalId, heldBy: holder.id, zohoId: r.zohoId },
      hint: `Merge the two records in Zoho (keep ${holder.id}, or clear its ${r.externalIdField} to keep ${r.zohoId}), then pair again if still needed.`,
    });
  }
  return { kind: 'pairable' };
}

function text(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  const s = String(v).trim();
  return s === '' ? undefined : s;
}
