import { SignJWT, exportJWK, generateKeyPair, jwtVerify, type CryptoKey, type JWK } from 'jose';
import type { Clock } from '../../support/clock.js';
import type { PsUser, TokenRequest } from './types.js';

/** The QAS permission list (role "QAS Admin"): without it every ExecuteQuery call is a 401. */
export const QAS_PERMISSION_LIST = 'PTPT2200';

export const DEFAULT_USERS: PsUser[] = [
  { oprid: 'ML_SYNC', password: 'ml-sync-secret', permissionLists: [QAS_PERMISSION_LIST, 'ML_INTEGRATION'], operations: '*', queries: '*' },
  {
    oprid: 'ML_LIMITED', password: 'ml-limited-secret', permissionLists: [QAS_PERMISSION_LIST, 'ML_INTEGRATION'],
    operations: '*', queries: '*', businessUnits: ['US001'],
  },
  { oprid: 'ML_NOQAS', password: 'ml-noqas-secret', permissionLists: ['ML_INTEGRATION'], operations: '*', queries: '*' },
];

/** Who is calling: HTTP Basic against the user table, or an OAuth2 bearer JWT whose `sub` is an OPRID. */
export async function authenticate(
  header: string | undefined,
  users: readonly PsUser[],
  verifyBearer: (token: string) => Promise<string | undefined>,
): Promise<PsUser | undefined> {
  if (header === undefined) return undefined;
  const [scheme = '', value = ''] = header.trim().split(/\s+/, 2);
  if (/^basic$/i.test(scheme)) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    const oprid = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    // OPRIDs are case-sensitive in PeopleSoft; passwords obviously are.
    const user = users.find((u) => u.oprid === oprid);
    return user !== undefined && !user.locked && user.password === password ? user : undefined;
  }
  if (/^bearer$/i.test(scheme) && value !== '') {
    const oprid = await verifyBearer(value);
    const user = users.find((u) => u.oprid === oprid);
    return user !== undefined && !user.locked ? user : undefined;
  }
  return undefined;
}

/** May this user call the service operation (and, for QAS, this query)? */
export function isPermitted(user: PsUser, operation: string, query?: string): boolean {
  if (operation === 'ExecuteQuery') {
    if (!user.permissionLists.includes(QAS_PERMISSION_LIST)) return false;
    return query === undefined || user.queries === '*' || user.queries.includes(query);
  }
  return user.operations === '*' || user.operations.includes(operation);
}

let keyPair: Promise<{ privateKey: CryptoKey; publicKey: CryptoKey }> | undefined;

/**
 * The authorization server the simulator plays (IDCS-like): signs RS256 JWTs with a key it
 * publishes as a JWKS, times them on the simulator clock, and checks iss/aud/exp on the way in
 * (which checks PeopleSoft's gateway makes is UNCONFIRMED; these are the strict ones).
 */
export class TokenIssuer {
  private constructor(
    private readonly privateKey: CryptoKey,
    private readonly publicKey: CryptoKey,
    readonly jwk: JWK,
    private readonly clock: Clock,
    readonly issuer: string,
    readonly audience: string,
    readonly ttlSec: number,
  ) {}

  static async create(clock: Clock, issuer: string, audience: string, ttlSec: number): Promise<TokenIssuer> {
    // RSA key generation takes up to a second; simulators in one process share one key pair.
    keyPair ??= generateKeyPair('RS256', { extractable: true });
    const { privateKey, publicKey } = await keyPair;
    const jwk = { ...(await exportJWK(publicKey)), kid: 'ml-sim-1', alg: 'RS256', use: 'sig' };
    return new TokenIssuer(privateKey, publicKey, jwk, clock, issuer, audience, ttlSec);
  }

  async issue(sub: string, request: TokenRequest = {}): Promise<{ token: string; expiresIn: number }> {
    const now = Math.floor(this.clock.now() / 1000);
    const expiresIn = request.expiresInSec ?? this.ttlSec;
    const token = await new SignJWT({ scope: 'read' })
      .setProtectedHeader({ alg: 'RS256', kid: 'ml-sim-1', typ: 'JWT' })
      .setSubject(request.sub ?? sub)
      .setIssuer(this.issuer)
      .setAudience(request.aud ?? this.audience)
      .setIssuedAt(now)
      .setExpirationTime(now + expiresIn)
      .sign(this.privateKey);
    return { token, expiresIn };
  }

  /** The token's `sub` if it is valid now (on the simulator clock), otherwise undefined. */
  async verify(token: string): Promise<string | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.publicKey, {
        issuer: this.issuer,
        audience: this.audience,
        algorithms: ['RS256'],
        currentDate: new Date(this.clock.now()),
      });
      return typeof payload.sub === 'string' ? payload.sub : undefined;
    } catch {
      return undefined;
    }
  }
}
