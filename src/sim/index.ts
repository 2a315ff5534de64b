/**
 * The simulators that ship with ml-connector (used by the demo, the tests and users' dry runs):
 * a PeopleSoft Integration Gateway, a Zoho CRM (accounts server and API v8), and the PeopleSoft
 * dataset generator. See docs/simulators.md.
 */
export * from './peoplesoft/index.js';
export * from './zoho/index.js';
export * from './dataset/index.js';
export { firmHandMadeRecords, manyHandMadeContacts, type HandMadeNote, type HandMadeOrg } from './firm-zoho.js';
