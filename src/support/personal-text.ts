import { findPhoneNumbersInText } from 'libphonenumber-js';

/**
 * Personal data out of free text (an error message that quotes the value Zoho refused), for
 * alerts and the status page. Masking by shape alone took any run of digits and dots for a phone
 * number (`127.0.0.1` became `<phone>`), so it works in two steps:
 * 1. technical tokens are set aside first and never masked: URLs, IP addresses with their port,
 *    ISO dates and times, version numbers, and the long digit strings of Zoho ids;
 * 2. in the rest, phone numbers are what libphonenumber finds as possible numbers (the right
 *    length for their country, the US for numbers written without +CC: a refused value is often
 *    not a valid one), e-mail addresses anything around an @, and quoted values (a name Zoho
 *    refused) are masked whole.
 */

const TECHNICAL = [
  /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, // URLs
  /\b(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?\b/g, // IPv4, with a port
  /\[[0-9a-f:]*:[0-9a-f:.]*\](?::\d{1,5})?/gi, // [IPv6]:port
  /\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?/g, // ISO dates and times
  /\b\d{2}:\d{2}:\d{2}(?:\.\d+)?\b/g, // times of day
  /\bv?\d+\.\d+\.\d+(?:[.-][0-9a-z]+)*\b/gi, // versions 8.59.12, 1.2.3-rc1
  /\b\d{15,}\b/g, // Zoho record ids (18-19 digits), channel ids
] as const;

const EMAIL = /[^\s@<>"'(),;:[\]]*@[^\s@<>"'(),;:[\]]*/g;
const QUOTED = /"[^"\n]*"|'[^'\n]*'|“[^”\n]*”/g;
// Private-use characters cannot occur in our messages; they mark where a kept token was, with
// the index spelled in letters so the phone finder never sees digits in a marker.
const HOLD = (i: number): string => `\uE000${String(i).replace(/\d/g, (d) => String.fromCharCode(97 + Number(d)))}\uE001`;
const HELD = /\uE000([a-j]+)\uE001/g;
const indexOf = (letters: string): number => Number(letters.replace(/[a-j]/g, (c) => String(c.charCodeAt(0) - 97)));

function maskPhones(text: string): string {
  const found = findPhoneNumbersInText(text, { defaultCountry: 'US', extended: true });
  if (found.length === 0) return text;
  let out = '';
  let at = 0;
  for (const f of found) {
    out += text.slice(at, f.startsAt) + '<phone>';
    at = f.endsAt;
  }
  return out + text.slice(at);
}

export function maskPersonalText(text: string): string {
  const kept: string[] = [];
  let rest = text.replace(QUOTED, '<value>');
  for (const pattern of TECHNICAL) {
    rest = rest.replace(pattern, (m) => {
      kept.push(m);
      return HOLD(kept.length - 1);
    });
  }
  rest = maskPhones(rest.replace(EMAIL, '<email>'));
  return rest.replace(HELD, (_, i: string) => kept[indexOf(i)] ?? '');
}
