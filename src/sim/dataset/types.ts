/**
 * The PeopleSoft data the simulator serves, shaped like the PeopleSoft records it stands for
 * (PS_JOB, PS_NAMES, PS_EMAIL_ADDRESSES, PS_PERSONAL_PHONE, PS_DEPT_TBL, PS_JOBCODE_TBL,
 * PS_VENDOR, PS_VENDOR_ADDR, PS_VENDOR_LOC, PS_VENDOR_CNTCT). Field names are PeopleSoft's own;
 * child collections are lower-case arrays. This is also the JSON fixture format (docs/simulators.md).
 *
 * Strings are stored as given, blanks as ''. Rendering a blank as ' ' is a wire quirk of the
 * simulator, not a property of the data.
 */

export const DATASET_VERSION = 1;

/** `YYYY-MM-DD`. */
export type PsDate = string;
/** PeopleSoft canonical datetime text `YYYY-MM-DD-HH.MM.SS.ffffff` (no zone; the simulator uses UTC). */
export type PsDateTime = string;

export interface PeopleSoftDataset {
  version: typeof DATASET_VERSION;
  /** The date the generator treated as "today"; rows with EFFDT after it are future-dated. */
  asOf: PsDate;
  seed: number;
  /** How many scenario days have been applied (keeps scenario choices deterministic across dumps). */
  scenarioDay: number;
  departments: Department[];
  jobcodes: Jobcode[];
  /** Sorted by EMPLID. */
  employees: Employee[];
  /** Sorted by SETID, VENDOR_ID. */
  vendors: Vendor[];
}

/** PS_DEPT_TBL: effective-dated; EFF_STATUS 'I' rows make a department inactive from EFFDT on. */
export interface Department {
  SETID: string;
  DEPTID: string;
  EFFDT: PsDate;
  EFF_STATUS: 'A' | 'I';
  DESCR: string;
  COMPANY: string;
}

/** PS_JOBCODE_TBL (not effective-dated here: titles do not change in the simulator). */
export interface Jobcode {
  SETID: string;
  JOBCODE: string;
  DESCR: string;
}

export interface Employee {
  EMPLID: string;
  /** Primary name (PS_NAMES NAME_TYPE='PRI', current row). */
  FIRST_NAME: string;
  LAST_NAME: string;
  NAME_DISPLAY: string;
  /** Preferred first name (NAME_TYPE='PRF'); '' when none. */
  PREF_FIRST_NAME: string;
  /** PERSON.LAST_CHILD_UPDDTM: the last change to names, emails or phones. */
  LASTUPDDTTM: PsDateTime;
  emails: Email[];
  phones: Phone[];
  /** PS_JOB rows, sorted EMPL_RCD, EFFDT, EFFSEQ. History, current and future-dated rows. */
  jobs: JobRow[];
}

/** PS_EMAIL_ADDRESSES. At most one row per E_ADDR_TYPE; at most one with PREF_EMAIL_FLAG 'Y'. */
export interface Email {
  E_ADDR_TYPE: 'BUSN' | 'HOME' | 'PERS' | 'OTHR' | 'CAMP';
  EMAIL_ADDR: string;
  PREF_EMAIL_FLAG: 'Y' | 'N';
}

/** PS_PERSONAL_PHONE. PHONE is free text, as people type it. */
export interface Phone {
  PHONE_TYPE: 'BUSN' | 'CELL' | 'HOME';
  COUNTRY_CODE: string;
  PHONE: string;
  EXTENSION: string;
  PREF_PHONE_FLAG: 'Y' | 'N';
}

/** One PS_JOB row. */
export interface JobRow {
  EMPL_RCD: number;
  EFFDT: PsDate;
  EFFSEQ: number;
  PER_ORG: 'EMP' | 'CWR';
  ACTION: string;
  ACTION_REASON: string;
  ACTION_DT: PsDate;
  EMPL_STATUS: string;
  HR_STATUS: 'A' | 'I';
  DEPTID: string;
  JOBCODE: string;
  LOCATION: string;
  COMPANY: string;
  BUSINESS_UNIT: string;
  SUPERVISOR_ID: string;
  /** For CWR contractors: the vendor that supplies them; '' otherwise. */
  VENDOR_SETID: string;
  VENDOR_ID: string;
  LASTUPDDTTM: PsDateTime;
}

export interface Vendor {
  SETID: string;
  VENDOR_ID: string;
  NAME1: string;
  NAME2: string;
  /** A Approved, D Denied, E Unapproved, I Inactive, X To Be Archived. */
  VENDOR_STATUS: 'A' | 'D' | 'E' | 'I' | 'X';
  /** A Attorney, E Employee, H HCM, R Outside Party. */
  VENDOR_CLASS: 'A' | 'E' | 'H' | 'R';
  /** O One Time, P Permanent, R Regular, S Single Payment Supplier. */
  VENDOR_PERSISTENCE: 'O' | 'P' | 'R' | 'S';
  LAST_ACTIVITY_DT: PsDate;
  /** PS_VENDOR_ADDR, sorted ADDRESS_SEQ_NUM, EFFDT. */
  addresses: VendorAddress[];
  /** PS_VENDOR_LOC, sorted VNDR_LOC, EFFDT. */
  locations: VendorLocation[];
  /** PS_VENDOR_CNTCT, sorted CNTCT_SEQ_NUM, EFFDT. */
  contacts: VendorContact[];
}

export interface VendorAddress {
  ADDRESS_SEQ_NUM: number;
  EFFDT: PsDate;
  EFF_STATUS: 'A' | 'I';
  ADDRESS1: string;
  ADDRESS2: string;
  ADDRESS3: string;
  ADDRESS4: string;
  CITY: string;
  STATE: string;
  POSTAL: string;
  COUNTRY: string;
  EMAILID: string;
  PHONE: string;
}

export interface VendorLocation {
  VNDR_LOC: string;
  EFFDT: PsDate;
  EFF_STATUS: 'A' | 'I';
  PYMNT_TERMS_CD: string;
}

export interface VendorContact {
  CNTCT_SEQ_NUM: number;
  EFFDT: PsDate;
  EFF_STATUS: 'A' | 'I';
  CONTACT_NAME: string;
  CONTACT_TITLE: string;
  EMAILID: string;
  PHONE: string;
}
