import type { NeededField } from './field-plan.js';
import type { ZohoTransport } from './transport.js';

/**
 * Create custom fields through Zoho's field-metadata API (`POST /settings/fields?module=X`,
 * scope `ZohoCRM.settings.fields.CREATE` or `.ALL`). Zoho takes a label, not an API name, and
 * derives the API name from it, so the label is the API name with spaces: the caller re-reads
 * the fields and checks the names came out as the mapping expects.
 */

export interface FieldCreation {
  apiName: string;
  label: string;
  ok: boolean;
  /** Field id when created. */
  id?: string;
  /** Zoho's code when refused: DUPLICATE_DATA, INVALID_DATA, LIMIT_EXCEEDED, ... */
  code?: string;
  message?: string;
}

/** The reference allows 25 per call; its own example answers list at most 5: stay within both. */
const PER_CALL = 5;

function toZoho(f: NeededField): Record<string, unknown> {
  return {
    field_label: f.label,
    data_type: f.dataType,
    ...(f.length !== undefined ? { length: f.length } : {}),
    ...(f.unique ? { unique: { case_sensitive: false } } : {}),
    ...(f.picklist ? { pick_list_values: f.picklist.map((v) => ({ display_value: v, actual_value: v })) } : {}),
    ...(f.lookupModule ? { lookup: { module: { api_name: f.lookupModule } } } : {}),
  };
}

export async function createCustomFields(t: ZohoTransport, module: string, fields: readonly NeededField[]): Promise<FieldCreation[]> {
  const out: FieldCreation[] = [];
  for (let i = 0; i < fields.length; i += PER_CALL) {
    const batch = fields.slice(i, i + PER_CALL);
    const ans = await t.call({
      method: 'POST',
      path: '/settings/fields',
      query: { module },
      body: { fields: batch.map(toZoho) },
      kind: 'fields',
      // 201 all created, 207 some, 400 none: each with one entry per field, in order.
      accept: (status, json) => (status === 201 || status === 207 || status === 400) && Array.isArray((json as { fields?: unknown } | undefined)?.fields),
    });
    const entries = (ans.json as { fields: Array<{ code?: string; message?: string; status?: string; details?: { id?: unknown } }> }).fields;
    batch.forEach((f, j) => {
      const e = entries[j];
      const ok = e?.status === 'success';
      out.push({
        apiName: f.apiName,
        label: f.label,
        ok,
        ...(ok && e?.details?.id !== undefined ? { id: String(e.details.id) } : {}),
        ...(!ok ? { code: e?.code ?? 'NO_ANSWER', message: e?.message ?? 'Zoho gave no result for this field' } : {}),
      });
    });
  }
  return out;
}
