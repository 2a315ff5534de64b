import { paint, useColor } from '../output.js';
import type { PeopleSoftSimulator } from '../../sim/peoplesoft/index.js';
import type { SmtpSink } from '../../sim/smtp/index.js';
import type { ZohoSimulator } from '../../sim/zoho/index.js';

/** What `ml-connector sim` prints: one JSON object (`--json`, schema/output/sim.schema.json) or lines for people. */

export function connectionSummary(ps: PeopleSoftSimulator, zoho: ZohoSimulator, smtp: SmtpSink | undefined, env: Record<string, string>): Record<string, unknown> {
  return {
    env,
    ...(smtp ? { smtp: { host: smtp.host, port: smtp.port } } : {}),
    zoho: {
      records: { Contacts: zoho.records('Contacts').length, Accounts: zoho.records('Accounts').length },
      url: zoho.url,
      accountsUrl: zoho.accountsUrl,
      apiDomain: zoho.apiDomain,
      clientId: zoho.credentials.clientId,
      clientSecret: zoho.credentials.clientSecret,
      refreshToken: zoho.credentials.refreshToken,
      orgId: zoho.credentials.orgId,
    },
    peoplesoft: {
      url: ps.url,
      node: ps.nodes.hcm,
      fscmNode: ps.nodes.fscm,
      username: ps.credentials.username,
      password: ps.credentials.password,
      oauth: { tokenUrl: ps.oauth.tokenUrl, clientId: ps.oauth.clientId, clientSecret: ps.oauth.clientSecret, audience: ps.oauth.audience },
      employees: ps.data.employees.length,
      vendors: ps.data.vendors.length,
      asOf: ps.data.asOf,
      nextDayUrl: `${ps.url}/sim/next-day`,
    },
  };
}

export function printHuman(ps: PeopleSoftSimulator, zoho: ZohoSimulator, smtp: SmtpSink | undefined, envFile: string | undefined, stream: NodeJS.WriteStream): void {
  const c = paint(useColor(stream));
  const out = (line: string): void => void stream.write(line + '\n');
  out(`${c('bold', 'PeopleSoft')}  ${ps.url}  (HCM node ${ps.nodes.hcm}, FSCM node ${ps.nodes.fscm})`);
  out(`  Basic auth     ${ps.credentials.username} / ${ps.credentials.password}   ${c('gray', '(also ML_LIMITED: US001 only; ML_NOQAS: no QAS access)')}`);
  out(`  OAuth2         token ${ps.oauth.tokenUrl}  client ${ps.oauth.clientId} / ${ps.oauth.clientSecret}`);
  out(`  data           ${ps.data.employees.length} employees, ${ps.data.vendors.length} vendors, as of ${ps.data.asOf}`);
  out(`  next day       curl -X POST ${ps.url}/sim/next-day   ${c('gray', '(PeopleSoft starts yesterday: hires, a rehire, a termination, a transfer, a vendor move, dated today)')}`);
  out(`${c('bold', 'Zoho CRM')}    ${zoho.url}  (accounts ${zoho.accountsUrl})`);
  const contacts = zoho.records('Contacts').length;
  const accounts = zoho.records('Accounts').length;
  out(`  records        ${contacts} contacts, ${accounts} accounts   ${c('gray', contacts + accounts > 0 ? "(typed in by hand before ml-connector, as in the firm's story; --empty-zoho starts empty)" : '(an empty organisation)')}`);
  out(`  client         ${zoho.credentials.clientId} / ${zoho.credentials.clientSecret}`);
  out(`  refresh token  ${zoho.credentials.refreshToken}`);
  if (smtp) out(`${c('bold', 'SMTP sink')}   ${smtp.host}:${smtp.port}  ${c('gray', '(alerts land here; each one is printed below)')}`);
  if (envFile) out(`${c('bold', 'Environment')} written to ${envFile}: \`set -a; . ${envFile}; set +a\` or \`node --env-file=${envFile} bin/ml-connector.js plan\``);
  else out(c('gray', 'Run `ml-connector sim --env` for the export lines that point configs/ at these simulators.'));
  out(c('gray', 'These are simulator credentials, not secrets. Press Ctrl+C to stop.'));
}

