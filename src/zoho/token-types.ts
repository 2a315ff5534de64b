/** What a token manager holds and how it gets it (shared by the manager and its cache). */
export type TokenGrant =
  | { type: 'refresh_token'; refreshToken: string }
  | { type: 'client_credentials'; soid: string; scopes: string[] };

export interface AccessToken {
  value: string;
  /** Where API calls go: the `api_domain` of the token response (falls back to the configured one). */
  apiDomain: string;
  /** Epoch ms on the manager's clock. */
  expiresAt: number;
  obtainedAt: number;
}
