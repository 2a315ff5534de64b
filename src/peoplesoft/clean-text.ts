/**
 * Text that leaves the PeopleSoft connector is clean (docs/peoplesoft.md, "Clean text"): control
 * characters and unpaired surrogates are removed, and each record that had some gets a warning
 * naming the record and the field. PeopleSoft stores what a user pasted or a conversion program
 * wrote (NUL, ESC, a half of an emoji cut by a CHAR(30) column); Zoho would store it as is, and
 * it breaks exports, mail merges and terminals downstream. Pure.
 */
import type { RecordProblem, SourceRecord } from '../model/index.js';
import { hashRecord } from './hash.js';

/**
 * Removed: C0 controls but tab, LF and CR; DEL; C1 controls; the noncharacters U+FFFE/U+FFFF; and
 * unpaired surrogates. Tab, LF and CR become a space: every source field is a single-line
 * PeopleSoft character field, so a line break in one is an accident, but it still separates words.
 */
const REMOVED = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const BREAKS = /[\t\r\n]+/g;
const ANY = /[\u0000-\u001F\u007F-\u009F\uFFFE\uFFFF\uD800-\uDFFF]/;

const NAMES: Record<number, string> = { 0x00: 'NUL', 0x09: 'TAB', 0x0a: 'LF', 0x0d: 'CR', 0x1b: 'ESC', 0x7f: 'DEL' };

function describe(ch: string): string {
  const code = ch.charCodeAt(0);
  if (code >= 0xd800 && code <= 0xdfff) return 'an unpaired surrogate';
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return NAMES[code] ? `${hex} (${NAMES[code]})` : hex;
}

/** The cleaned text and what was removed (empty when the text was clean). Surrounding spaces are trimmed again. */
export function cleanText(value: string): { text: string; removed: string[] } {
  if (!ANY.test(value)) return { text: value, removed: [] };
  const removed = new Set<string>();
  let text = value.replace(REMOVED, (ch) => {
    removed.add(describe(ch));
    return '';
  });
  text = text.replace(BREAKS, (run) => {
    for (const ch of run) removed.add(describe(ch));
    return ' ';
  });
  // A surrogate pair is well-formed text (an emoji): ANY matched it, nothing was removed.
  if (removed.size === 0) return { text: value, removed: [] };
  return { text: text.trim(), removed: [...removed] };
}

/**
 * Clean every text field of a record in place (and its key, derived from the same text), re-hash
 * it when something changed, and return one warning per field that changed.
 */
export function cleanRecordText(record: SourceRecord): RecordProblem[] {
  const problems: RecordProblem[] = [];
  for (const [field, value] of Object.entries(record.fields)) {
    if (typeof value !== 'string') continue;
    const { text, removed } = cleanText(value);
    if (removed.length === 0) continue;
    record.fields[field] = text === '' ? null : text;
    problems.push({
      key: '', code: 'SOURCE_TEXT_CLEANED', field, severity: 'warning',
      message: `${field} held ${removed.join(', ')}; removed before the value leaves PeopleSoft (fix it in PeopleSoft to silence this)`,
    });
  }
  if (problems.length === 0) return problems;
  record.key = cleanText(record.key).text;
  record.hash = hashRecord(record);
  for (const p of problems) p.key = record.key;
  return problems;
}
