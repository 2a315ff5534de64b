/** What `ml-connector sim --json` prints first: where the simulators listen and how to log in. */
export interface SimulatorInfo {
  zoho: { url: string; accountsUrl: string; clientId: string; clientSecret: string; refreshToken: string };
  peoplesoft: { url: string; node: string; fscmNode: string; username: string; password: string };
  /** The local SMTP sink alerts go to (sim, demo); without it alerts go to a port nobody answers. */
  smtp?: { host: string; port: number };
}

/**
 * The environment variables the example configuration (configs/) reads, pointed at the
 * simulators. The configuration itself stays unchanged: the same files run against a real
 * PeopleSoft and Zoho with other values in these variables.
 */
export function simulatorEnv(info: SimulatorInfo, statePath: string): Record<string, string> {
  return {
    PS_HCM_URL: info.peoplesoft.url,
    PS_HCM_NODE: info.peoplesoft.node,
    PS_HCM_USER: info.peoplesoft.username,
    PS_HCM_PASSWORD: info.peoplesoft.password,
    PS_FSCM_URL: info.peoplesoft.url,
    PS_FSCM_NODE: info.peoplesoft.fscmNode,
    PS_FSCM_USER: info.peoplesoft.username,
    PS_FSCM_PASSWORD: info.peoplesoft.password,
    ZOHO_ACCOUNTS_URL: info.zoho.accountsUrl,
    ZOHO_API_URL: info.zoho.url,
    ZOHO_CLIENT_ID: info.zoho.clientId,
    ZOHO_CLIENT_SECRET: info.zoho.clientSecret,
    ZOHO_REFRESH_TOKEN: info.zoho.refreshToken,
    ML_CONNECTOR_STATE: statePath,
    // Alerts go to the simulators' SMTP sink when there is one; otherwise to a local port where
    // nothing listens, refused at once.
    SMTP_HOST: info.smtp?.host ?? '127.0.0.1',
    ...(info.smtp ? { SMTP_PORT: String(info.smtp.port) } : {}),
    SMTP_PASSWORD: 'demo-smtp-password',
  };
}
