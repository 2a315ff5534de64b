/**
 * The simulated org's modules and field metadata: what `GET /crm/v8/settings/fields` serves and
 * what every write is validated against. Custom fields (PeopleSoft ids, statuses) are declared
 * here the way an admin would create them in Setup, one unique/external field per module.
 */

export type ZohoDataType =
  | 'text'
  | 'textarea'
  | 'email'
  | 'phone'
  | 'website'
  | 'picklist'
  | 'date'
  | 'datetime'
  | 'lookup'
  | 'ownerlookup'
  | 'boolean'
  | 'integer'
  | 'double';

export interface FieldDef {
  apiName: string;
  label: string;
  type: ZohoDataType;
  length?: number;
  mandatory?: boolean;
  custom?: boolean;
  readOnly?: boolean;
  /** "Do not allow duplicate values": usable in duplicate_check_fields, enforced on every write. */
  unique?: boolean;
  /** Marked external (org-based): unique, and addressable with X-EXTERNAL. */
  external?: boolean;
  picklist?: string[];
  lookupModule?: string;
  id: string;
}

export interface ModuleDef {
  apiName: string;
  singular: string;
  id: string;
  /** Field that names a record in lookups (`{name, id}`). */
  nameField: string;
  /** System-defined duplicate-check field (skipped in upsert unless listed). */
  systemDuplicateField: string;
  fields: FieldDef[];
  byName: Map<string, FieldDef>;
}

type Spec = Omit<FieldDef, 'id'>;

const text = (apiName: string, label: string, length = 255, extra: Partial<Spec> = {}): Spec => ({
  apiName,
  label,
  type: 'text',
  length,
  ...extra,
});
const typed = (apiName: string, label: string, type: ZohoDataType, extra: Partial<Spec> = {}): Spec => ({
  apiName,
  label,
  type,
  length: type === 'phone' ? 30 : type === 'email' || type === 'website' ? 100 : type === 'textarea' ? 32000 : 255,
  ...extra,
});

const audit = (singular: string): Spec[] => [
  { apiName: 'Owner', label: `${singular} Owner`, type: 'ownerlookup' },
  { apiName: 'Created_By', label: 'Created By', type: 'ownerlookup', readOnly: true },
  { apiName: 'Modified_By', label: 'Modified By', type: 'ownerlookup', readOnly: true },
  { apiName: 'Created_Time', label: 'Created Time', type: 'datetime', readOnly: true },
  { apiName: 'Modified_Time', label: 'Modified Time', type: 'datetime', readOnly: true },
];

const CONTACTS: Spec[] = [
  text('First_Name', 'First Name', 40),
  text('Last_Name', 'Last Name', 80, { mandatory: true }),
  text('Full_Name', 'Full Name', 255, { readOnly: true }),
  typed('Email', 'Email', 'email'),
  typed('Secondary_Email', 'Secondary Email', 'email'),
  typed('Phone', 'Phone', 'phone'),
  typed('Mobile', 'Mobile', 'phone'),
  text('Title', 'Title', 100),
  text('Department', 'Department', 100),
  { apiName: 'Account_Name', label: 'Account Name', type: 'lookup', lookupModule: 'Accounts' },
  text('Mailing_Street', 'Mailing Street', 250),
  text('Mailing_City', 'Mailing City', 100),
  text('Mailing_State', 'Mailing State', 100),
  text('Mailing_Zip', 'Mailing Zip', 30),
  text('Mailing_Country', 'Mailing Country', 100),
  typed('Description', 'Description', 'textarea'),
  ...audit('Contact'),
  text('PeopleSoft_Employee_ID', 'PeopleSoft Employee ID', 20, { custom: true, unique: true, external: true }),
  {
    apiName: 'Employment_Status',
    label: 'Employment Status',
    type: 'picklist',
    custom: true,
    picklist: ['-None-', 'Active', 'On Leave', 'Terminated', 'Retired'],
  },
  { apiName: 'Hire_Date', label: 'Hire Date', type: 'date', custom: true },
  {
    apiName: 'Employee_Type',
    label: 'Employee Type',
    type: 'picklist',
    custom: true,
    picklist: ['-None-', 'Employee', 'Contractor'],
  },
];

const ACCOUNTS: Spec[] = [
  text('Account_Name', 'Account Name', 200, { mandatory: true }),
  {
    apiName: 'Account_Type',
    label: 'Account Type',
    type: 'picklist',
    picklist: ['-None-', 'Analyst', 'Competitor', 'Customer', 'Distributor', 'Integrator', 'Investor', 'Other', 'Partner', 'Press', 'Prospect', 'Reseller', 'Supplier', 'Vendor'],
  },
  typed('Phone', 'Phone', 'phone'),
  typed('Website', 'Website', 'website', { length: 255 }),
  text('Billing_Street', 'Billing Street', 250),
  text('Billing_City', 'Billing City', 100),
  text('Billing_State', 'Billing State', 100),
  text('Billing_Code', 'Billing Code', 30),
  text('Billing_Country', 'Billing Country', 100),
  typed('Description', 'Description', 'textarea'),
  ...audit('Account'),
  text('PeopleSoft_Vendor_ID', 'PeopleSoft Vendor ID', 30, { custom: true, unique: true, external: true }),
  {
    apiName: 'Vendor_Classification',
    label: 'Vendor Classification',
    type: 'picklist',
    custom: true,
    picklist: ['-None-', 'Attorney', 'Employee', 'HCM', 'Outside Party'],
  },
  {
    apiName: 'Vendor_Status',
    label: 'Vendor Status',
    type: 'picklist',
    custom: true,
    picklist: ['-None-', 'Approved', 'Denied', 'Unapproved', 'Inactive', 'To Be Archived'],
  },
  text('Payment_Terms', 'Payment Terms', 30, { custom: true }),
  // The firm's own accounts: one per PeopleSoft department, or the firm itself (a company code).
  text('PeopleSoft_Department_ID', 'PeopleSoft Department ID', 30, { custom: true, unique: true, external: true }),
  text('PeopleSoft_Company', 'PeopleSoft Company', 30, { custom: true, unique: true, external: true }),
  {
    apiName: 'Department_Status',
    label: 'Department Status',
    type: 'picklist',
    custom: true,
    picklist: ['-None-', 'Active', 'Inactive'],
  },
  {
    apiName: 'Vendor_Persistence',
    label: 'Vendor Persistence',
    type: 'picklist',
    custom: true,
    picklist: ['-None-', 'One Time', 'Permanent', 'Regular', 'Single Payment'],
  },
];

const VENDORS: Spec[] = [
  text('Vendor_Name', 'Vendor Name', 50, { mandatory: true }),
  typed('Email', 'Email', 'email'),
  typed('Phone', 'Phone', 'phone'),
  typed('Website', 'Website', 'website', { length: 255 }),
  text('Street', 'Street', 250),
  text('City', 'City', 100),
  text('State', 'State', 100),
  text('Zip_Code', 'Zip Code', 30),
  text('Country', 'Country', 100),
  typed('Description', 'Description', 'textarea'),
  ...audit('Vendor'),
  text('PeopleSoft_Vendor_ID', 'PeopleSoft Vendor ID', 30, { custom: true, unique: true, external: true }),
  text('Payment_Terms', 'Payment Terms', 30, { custom: true }),
];

function defineModule(apiName: string, singular: string, index: number, nameField: string, dup: string, specs: Spec[]): ModuleDef {
  const moduleId = `5725767000000002${String(175 + index).padStart(3, '0')}`;
  const fields = specs.map((s, i): FieldDef => ({ ...s, id: `57257670000000${String(index * 1000 + i + 10000).padStart(5, '0')}` }));
  return {
    apiName,
    singular,
    id: moduleId,
    nameField,
    systemDuplicateField: dup,
    fields,
    byName: new Map(fields.map((f) => [f.apiName, f])),
  };
}

/**
 * The modules of the simulated org; Vendors only when the edition has it. `customFields: false`
 * is a fresh org, before an admin created the PeopleSoft fields (`check --create-fields` does).
 */
export function defineModules(vendors: boolean, customFields = true): Map<string, ModuleDef> {
  const keep = (specs: Spec[]): Spec[] => (customFields ? specs : specs.filter((f) => f.custom !== true));
  const list = [
    defineModule('Contacts', 'Contact', 1, 'Full_Name', 'Email', keep(CONTACTS)),
    defineModule('Accounts', 'Account', 2, 'Account_Name', 'Account_Name', keep(ACCOUNTS)),
  ];
  if (vendors) list.push(defineModule('Vendors', 'Vendor', 3, 'Vendor_Name', 'Vendor_Name', keep(VENDORS)));
  return new Map(list.map((m) => [m.apiName, m]));
}

const JSON_TYPE: Record<ZohoDataType, string> = {
  text: 'string',
  textarea: 'string',
  email: 'string',
  phone: 'string',
  website: 'string',
  picklist: 'string',
  date: 'string',
  datetime: 'string',
  lookup: 'jsonobject',
  ownerlookup: 'jsonobject',
  boolean: 'boolean',
  integer: 'integer',
  double: 'double',
};

/** One field as `GET /crm/v8/settings/fields` shows it. */
export function describeField(f: FieldDef, modules: Map<string, ModuleDef>): Record<string, unknown> {
  const lookupTarget = f.lookupModule ? modules.get(f.lookupModule) : undefined;
  return {
    api_name: f.apiName,
    field_label: f.label,
    display_label: f.label,
    data_type: f.type,
    json_type: JSON_TYPE[f.type],
    length: f.length ?? (f.type === 'lookup' || f.type === 'ownerlookup' ? 120 : 255),
    system_mandatory: f.mandatory === true,
    custom_field: f.custom === true,
    read_only: f.readOnly === true,
    field_read_only: f.readOnly === true,
    visible: true,
    id: f.id,
    unique: f.unique ? { casesensitive: 'false' } : {},
    external: f.external ? { show: true, type: 'org', allow_multiple_config: false } : null,
    lookup: lookupTarget
      ? { display_label: lookupTarget.singular, api_name: f.apiName, module: { api_name: lookupTarget.apiName, id: lookupTarget.id }, id: f.id }
      : {},
    pick_list_values: (f.picklist ?? []).map((v, i) => ({
      display_value: v,
      actual_value: v,
      reference_value: v,
      id: `${f.id.slice(0, 15)}${String(i + 1000)}`,
      sequence_number: i + 1,
      type: 'used',
      colour_code: null,
    })),
  };
}
