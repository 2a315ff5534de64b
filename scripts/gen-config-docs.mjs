// Writes docs/configuration.md from the JSON Schemas in schema/ (their descriptions, types, enums,
// defaults), the issue codes in src/config/issues.ts and the hand-written guide sections in
// docs/configuration/*.md. The schemas are the source of truth; this
// page is what a person reads. `node scripts/gen-config-docs.mjs --check` exits 1 when it is stale.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const schemaDir = path.join(root, 'schema');
const out = path.join(root, 'docs/configuration.md');
const schemas = new Map();
const load = (id) => {
  if (!schemas.has(id)) schemas.set(id, JSON.parse(readFileSync(path.join(schemaDir, id), 'utf8')));
  return schemas.get(id);
};

/** Follow a $ref relative to the schema it appears in; returns [schema, the file it lives in]. */
function deref(node, file) {
  let cur = node;
  let curFile = file;
  // `{ allOf: [{ $ref }], description }` is how a property gives a shared type its own description.
  if (cur && Array.isArray(cur.allOf) && cur.allOf.length === 1 && cur.allOf[0].$ref) {
    const { allOf, ...rest } = cur;
    cur = { ...rest, $ref: allOf[0].$ref };
  }
  while (cur && cur.$ref) {
    const [refFile, pointer = ''] = cur.$ref.split('#');
    curFile = refFile || curFile;
    let target = load(curFile);
    for (const seg of pointer.split('/').filter(Boolean)) target = target[seg];
    // Keep a description (and default) written next to the $ref: they are the more specific ones.
    cur = { ...target, ...(cur.description ? { description: cur.description } : {}), ...(cur.default !== undefined ? { default: cur.default } : {}) };
  }
  return [cur, curFile];
}

const code = (v) => '`' + (typeof v === 'string' ? v : JSON.stringify(v)) + '`';
const cell = (s) => String(s ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');

function typeOf(s, file) {
  if (s.const !== undefined) return code(s.const);
  if (s.enum) return s.enum.map(code).join(', ');
  if (s['x-credential']) return 'credential reference';
  if (s.discriminator) return `mapping: one of the forms below, chosen by \`${s.discriminator.propertyName}\``;
  if (s.oneOf && !s.discriminator) {
    return s.oneOf.map((b) => {
      const [branch, f] = deref(b, file);
      return branch.title && branch.properties ? branch.title : typeOf(branch, f);
    }).join(' or ');
  }
  if (s.type === 'array') return `list of ${s.items ? typeOf(...deref(s.items, file)) : 'values'}`;
  if (Array.isArray(s.type)) return s.type.join(' or ');
  if (s.type === 'object') {
    if (s.properties) return 'mapping';
    const values = s.additionalProperties && typeof s.additionalProperties === 'object' ? deref(s.additionalProperties, file) : undefined;
    return values && values[0].enum ? `mapping of names to ${typeOf(...values)}` : 'mapping of names to values';
  }
  return s.type ?? (s.oneOf ? 'one of the forms below' : 'any');
}

function rows(schema, file, prefix, required, out, depth = 0) {
  const [s, f] = deref(schema, file);
  if (depth > 6) return;
  for (const [key, prop] of Object.entries(s.properties ?? {})) {
    const [p, pf] = deref(prop, f);
    const name = prefix ? `${prefix}.${key}` : key;
    const req = required.includes(key) ? 'yes' : '';
    const def = p.default === undefined ? '' : code(p.default);
    out.push(`| ${code(name)} | ${cell(typeOf(p, pf))} | ${req} | ${cell(def)} | ${cell(p.description)} |`);
    if (p.type === 'object' && p.properties) rows(p, pf, name, p.required ?? [], out, depth + 1);
    if (p.oneOf && !p.discriminator && p.oneOf.every((b) => deref(b, pf)[0].properties)) {
      // Alternative shapes of one key (a PeopleSoft source or static records): each with its keys.
      for (const branch of p.oneOf) {
        const [b, bf] = deref(branch, pf);
        out.push(`| ${code(name)} as ${cell(b.title ?? 'one form')} | | | | ${cell(b.description)} |`);
        rows(b, bf, name, b.required ?? [], out, depth + 1);
      }
    }
    if (p.oneOf && p.discriminator) {
      const tag = p.discriminator.propertyName;
      for (const branch of p.oneOf) {
        const [b, bf] = deref(branch, pf);
        const tagValue = b.properties?.[tag]?.const;
        out.push(`| ${code(`${name}`)} with ${code(`${tag}: ${tagValue}`)} | ${cell(b.title ?? '')} | | | ${cell(b.description)} |`);
        rows(b, bf, name, b.required ?? [], out, depth + 1);
      }
    }
    if (p.type === 'array' && p.items) {
      const [item, itemFile] = deref(p.items, pf);
      if (item.type === 'object' && item.properties) rows(item, itemFile, `${name}[]`, item.required ?? [], out, depth + 1);
      else if (item.oneOf) {
        for (const branch of item.oneOf) {
          const [b, bf] = deref(branch, itemFile);
          if (b.type === 'object' && b.properties) rows(b, bf, `${name}[]`, b.required ?? [], out, depth + 1);
        }
      }
    }
  }
}

function issueCodes() {
  const text = readFileSync(path.join(root, 'src/config/issues.ts'), 'utf8');
  const block = text.slice(text.indexOf('export const ISSUE_CODES'), text.indexOf('} as const'));
  return [...block.matchAll(/^\s+(CONFIG_[A-Z_]+): '((?:[^'\\]|\\.)*)',$/gm)].map((m) => [m[1], m[2].replace(/\\'/g, "'")]);
}

/** Hand-written sections (docs/configuration/*.md, in file-name order), kept next to the generated tables. */
function guideSections() {
  const dir = path.join(root, 'docs/configuration');
  let files = [];
  try { files = readdirSync(dir).filter((f) => f.endsWith('.md')).sort(); } catch { return []; }
  return files.flatMap((f) => [readFileSync(path.join(dir, f), 'utf8').trimEnd(), '']);
}

export function generateDocs() {
  const dispatcher = load('config.schema.json');
  const kinds = dispatcher.allOf.map((b) => [b.if.properties.kind.const, b.then.$ref]);
  const lines = [
    '# Configuration reference',
    '',
    '<!-- GENERATED by `node scripts/gen-config-docs.mjs` from schema/*.schema.json and docs/configuration/*.md. Do not edit by hand. -->',
    '',
    'A configuration is a directory (default `configs/`) of YAML files, read recursively (`*.yaml`, `*.yml`).',
    'Each YAML document has `apiVersion: ml-connector/v1`, a `kind` and a `name` (lower-case letters, digits',
    'and hyphens, unique per kind); one file may hold several documents separated by `---`. Start each file',
    'with a schema line so that editors validate and complete it as you type, e.g.',
    '`# yaml-language-server: $schema=../schema/mapping.schema.json` (or `config.schema.json` for any kind).',
    '',
    'Check a configuration with `ml-connector validate --config DIR`: every issue is reported at once with',
    '`file:line:col`, a sentence that says what would be valid, and a stable code (listed at the end).',
    '',
    '## References and secrets',
    '',
    '- `${env:NAME}` and `${env:NAME:-default}` may appear in any string and are replaced when the',
    '  configuration is loaded, so one configuration serves production, staging and the demo. An unset',
    '  variable without default is a warning for `validate` (an error with `--strict`) and an error for',
    '  a command that needs the value.',
    '- Credential fields (marked *credential reference* below) accept only `${env:NAME}` or `${secret:NAME}`',
    '  (a secret stored encrypted with `ml-connector secrets set NAME`). A literal value is an error: secrets',
    '  do not belong in git. Credentials are resolved only when a command needs them and never appear in',
    '  logs, plans or errors.',
    '- Files larger than 1 MiB are refused; YAML anchors and aliases work within a document, and a document',
    '  whose aliases expand to more than 200 copies is refused.',
    '',
    ...guideSections(),
    '## Kinds',
    '',
    ...kinds.map(([kind, file]) => `- [${kind}](#${kind.toLowerCase()}) (\`schema/${file}\`): ${load(file).description}`),
    '',
  ];
  for (const [kind, file] of kinds) {
    const schema = load(file);
    lines.push(`## ${kind}`, '', schema.description, '', `Schema: \`schema/${file}\`.`, '');
    lines.push('| Key | Type | Required | Default | Description |', '| --- | --- | --- | --- | --- |');
    const body = [];
    rows(schema, file, '', schema.required ?? [], body);
    lines.push(...body, '');
  }
  lines.push('## Validation codes', '', 'Codes of the issues `ml-connector validate` reports (`--json` gives them as `code`).', '', '| Code | Meaning |', '| --- | --- |');
  for (const [c, meaning] of issueCodes()) lines.push(`| \`${c}\` | ${cell(meaning)} |`);
  lines.push('');
  return lines.join('\n');
}

const text = generateDocs();
if (process.argv.includes('--check')) {
  let current = '';
  try { current = readFileSync(out, 'utf8'); } catch { /* missing counts as stale */ }
  if (current !== text) {
    console.error('docs/configuration.md is stale: run `node scripts/gen-config-docs.mjs` and commit the result.');
    process.exit(1);
  }
  console.log('docs/configuration.md is up to date');
} else {
  writeFileSync(out, text);
  console.log(`wrote ${path.relative(root, out)}`);
}
