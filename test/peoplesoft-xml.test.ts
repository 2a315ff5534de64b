/**
 * What PeopleSoft sends as XML (and JSON) when it is broken: the malformed inputs of issue 12 and
 * a seeded fuzz corpus. Whatever the bytes, an answer is either rows or ONE coded error naming the
 * call; never a RangeError, never a silently corrupted value.
 */
import { describe, expect, it } from 'vitest';
import { MlError } from '../src/support/errors.js';
import { parseJsonAnswer, parseQasAnswer, readErrorBody } from '../src/peoplesoft/rows.js';
import { parseXml, readSoapFault, readXmlpRows } from '../src/peoplesoft/xml.js';
import { renderQasJson, renderQasXml } from '../src/sim/peoplesoft/render.js';
import { columns } from '../src/sim/peoplesoft/query-result.js';

const WHERE = 'query ML_EMPLOYEES';
const RENDER = { blankAsSpace: true, aliasPrefixes: false, querynameWithEquals: false };
const RESULT = {
  columns: columns('A:EMPLID A:EMPL_RCD#n B:NAME A:EFFDT#d'),
  rows: [['100001', 0, "O'Brien <&> ]]>", '2024-01-15'], ['100002', 1, 'José Ñúñez', '2023-02-01'], ['100003', 0, '', '2020-06-30']],
};
const XMLP = renderQasXml('ML_EMPLOYEES', RESULT, RENDER);
const JSON_PAGE = renderQasJson('ML_EMPLOYEES', RESULT, RENDER);
/** The same page with one value as plain character data (not CDATA), where references are live. */
const PLAIN = XMLP.replace('<![CDATA[José Ñúñez]]>', 'José Ñúñez');

function expectOneCodedError(fn: () => unknown, codes: string[]): MlError {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(MlError);
  const err = thrown as MlError;
  expect(codes).toContain(err.code);
  expect(err.message).toContain(WHERE);
  return err;
}

describe('malformed XML from the issue', () => {
  it('a character reference outside Unicode is one PS_BAD_ANSWER saying where, not a RangeError', () => {
    const doc = PLAIN.replace('José', 'Jos&#x110000;');
    const err = expectOneCodedError(() => parseQasAnswer(doc, WHERE), ['PS_BAD_ANSWER']);
    expect(err.message).toMatch(/not well-formed XML \(malformed character entity at line \d+, column \d+\)/);
    expect(err.meta).toMatchObject({ where: WHERE, line: expect.any(Number), column: expect.any(Number) });
  });

  it('an attribute holding ">" does not corrupt any value', () => {
    const doc = `<?xml version="1.0"?><QAS_GETQUERYRESULTS_RESP_MSG><query numrows="2" queryname="A>B">`
      + `<row rownumber="1" note="x>y"><EMPLID>1</EMPLID><NAME xml:space="pre>serve">Ann &gt; Bob</NAME></row>`
      + `<row rownumber="2"><EMPLID>2</EMPLID><NAME/></row></query></QAS_GETQUERYRESULTS_RESP_MSG>`;
    expect(parseQasAnswer(doc, WHERE)).toEqual({ rows: [{ EMPLID: '1', NAME: 'Ann > Bob' }, { EMPLID: '2', NAME: null }], numrows: 2 });
  });

  it.each([
    ['a lone surrogate reference', PLAIN.replace('José', '&#xD800;')],
    ['NUL as a reference', PLAIN.replace('José', '&#0;')],
    ['a raw ESC in CDATA', XMLP.replace('José', 'Jo\u001bsé')],
    ['an entity only HTML knows', PLAIN.replace('José', 'Jos&eacute;')],
    ['an internal DTD entity (never expanded)', `<!DOCTYPE q [<!ENTITY big "aaaaaaaa">]>${PLAIN.replace(/^<\?xml[^>]*\?>\s*/, '').replace('José', '&big;')}`],
    ['a body cut in the middle', XMLP.slice(0, Math.floor(XMLP.length / 2))],
    ['a tag closed by another', XMLP.replace('</EMPLID>', '</NAME>')],
    ['two roots', `${XMLP}<x/>`],
    ['an HTML page that is not XML', '<html><body>Sign in<br></body></html>'],
  ])('%s is one coded error', (_what, doc) => {
    expectOneCodedError(() => parseQasAnswer(doc, WHERE), ['PS_BAD_ANSWER']);
  });

  it('error shapes keep their messages: IBResponse, SOAP 1.1 and 1.2 faults', () => {
    const ib = '<?xml version="1.0"?><IBResponse type="error"><DefaultTitle>Integration Broker Response</DefaultTitle><StatusCode>20</StatusCode><MessageSet>158</MessageSet><MessageID>10001</MessageID><DefaultMessage>Row locked (-1,-1)</DefaultMessage></IBResponse>';
    expect(readErrorBody(ib, WHERE)).toBe('Row locked (-1,-1) (message 158,10001)');
    const soap11 = '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode>soapenv:Server</faultcode><faultstring>Invalid operation</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>';
    expect(readErrorBody(soap11, WHERE)).toBe('Invalid operation');
    const soap12 = '<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body><env:Fault><env:Code><env:Value>env:Receiver</env:Value></env:Code><env:Reason><env:Text xml:lang="en">CI not found</env:Text></env:Reason></env:Fault></env:Body></env:Envelope>';
    expect(readSoapFault(parseXml(soap12, WHERE))).toBe('CI not found');
    expect(() => parseQasAnswer(ib, WHERE)).toThrow(expect.objectContaining({ code: 'PS_QUERY_FAILED', message: expect.stringContaining('Row locked') }));
    // A broken error document is a bad answer, not a crash and not a success.
    expectOneCodedError(() => readErrorBody('<IBResponse type="error"><DefaultMessage>x</IBResponse>', WHERE), ['PS_BAD_ANSWER']);
    expect(readErrorBody(XMLP, WHERE)).toBeUndefined();
  });

  it('JSON that is not a query result is a bad answer, never "no rows"', () => {
    for (const body of ['', 'null', '[]', '"ok"', '{"status":"success"}', '{"status":"success","data":{"query":{"rows":"none"}}}', '{"status":"success","data":{"query":{"numrows":2,"rows":[1,2]}}}']) {
      expectOneCodedError(() => parseQasAnswer(body, WHERE), ['PS_BAD_ANSWER']);
    }
    expect(parseQasAnswer('{"status":"success","data":{"query":{"numrows":0,"queryname":"Q"}}}', WHERE)).toEqual({ rows: [], numrows: 0 });
  });

  it('XMLP is read as the old reader read it: namespaces, CDATA split around ]]>, nested text', () => {
    const answer = readXmlpRows(XMLP, WHERE);
    expect(answer.rows[0]).toEqual({ EMPLID: '100001', EMPL_RCD: '0', NAME: "O'Brien <&> ]]>", EFFDT: '2024-01-15' });
    expect(answer).toMatchObject({ numrows: 3, hasQuery: true });
    expect(readXmlpRows('<q:query xmlns:q="u" numrows="1"><q:row><A><b>x</b>y</A></q:row></q:query>', WHERE).rows).toEqual([{ A: 'xy' }]);
  });
});

/** A small seeded PRNG (mulberry32), so a failing case can be replayed from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NASTY = ['<', '>', '&', '"', "'", ']]>', '<![CDATA[', '&#x110000;', '&#xD800;', '&#0;', '&#65;', '\u0000', '\u001b', '\uD800', '&bogus;', '</row>', '<row>', '<!--', '-->', '<?x?>', '<!DOCTYPE x [<!ENTITY a "b">]>', '{', '}', '[', ']', ',', ':', '\\u0000', '\\uD800', '"\\', '1e999'];

function mutate(text: string, rnd: () => number): string {
  const at = Math.floor(rnd() * text.length);
  switch (Math.floor(rnd() * 4)) {
    case 0: return text.slice(0, at);
    case 1: return text.slice(0, at) + NASTY[Math.floor(rnd() * NASTY.length)]! + text.slice(at);
    case 2: return text.slice(0, at) + text.slice(at + 1 + Math.floor(rnd() * 20));
    default: {
      const from = Math.floor(rnd() * text.length);
      return text.slice(0, at) + text.slice(from, from + Math.floor(rnd() * 40)) + text.slice(at);
    }
  }
}

describe('fuzz corpus: 2,000 damaged answers', () => {
  it.each([
    ['XMLP', XMLP],
    ['QAS JSON', JSON_PAGE],
    ['an IBResponse', '<?xml version="1.0"?><IBResponse type="error"><DefaultMessage>boom</DefaultMessage><MessageSet>158</MessageSet></IBResponse>'],
    ['XMLP without CDATA', PLAIN],
  ])('%s: rows or one coded error, nothing else', (_what, base) => {
    const outcomes = { rows: 0, errors: 0 };
    for (let seed = 1; seed <= 500; seed++) {
      const rnd = random(seed);
      let doc = base;
      for (let n = 1 + Math.floor(rnd() * 3); n > 0; n--) doc = mutate(doc, rnd);
      try {
        const page = parseQasAnswer(doc, WHERE);
        for (const row of page.rows) for (const v of Object.values(row)) expect(['string', 'number', 'boolean', 'object']).toContain(typeof v);
        outcomes.rows++;
      } catch (err) {
        if (!(err instanceof MlError) || !['PS_BAD_ANSWER', 'PS_QUERY_FAILED'].includes(err.code) || !err.message.includes(WHERE)) {
          throw new Error(`seed ${seed}: ${String(err)} for ${JSON.stringify(doc).slice(0, 300)}`);
        }
        outcomes.errors++;
      }
      // The CI/REST path reads the same bytes through its own entry point.
      try {
        parseJsonAnswer(doc, WHERE);
      } catch (err) {
        if (!(err instanceof MlError)) throw new Error(`seed ${seed}: parseJsonAnswer threw ${String(err)}`);
      }
    }
    // The corpus exercises both outcomes; a mutation that only touches text still reads.
    expect(outcomes.errors).toBeGreaterThan(100);
    expect(outcomes.rows + outcomes.errors).toBe(500);
  });
});
