import { createHash, randomBytes, randomUUID, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Passwords are slow-hashed with scrypt (they are guessable); API tokens and ingest keys are
 * 122+ bits of randomness, so a SHA-256 digest is enough and lets the store look them up by
 * an indexed column without keeping anything usable at rest.
 */

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 } as const;

function scryptAsync(secret: string, salt: Buffer, N: number, r: number, p: number, keylen: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, keylen, { N, r, p, maxmem: 128 * N * r * 2 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p, SCRYPT.keylen);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') {
    // An invited user has no password yet: take as long as a real check, so that timing does
    // not tell which addresses belong to such users.
    await burnPasswordCheck(password);
    return false;
  }
  const [, n, r, p, saltText, keyText] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(keyText, 'base64');
  const actual = await scryptAsync(password, Buffer.from(saltText, 'base64'), Number(n), Number(r), Number(p), expected.length);
  return timingSafeEqual(actual, expected);
}

// A fixed hash to verify against when the user does not exist, so that the answer takes as
// long as for a real user and does not reveal which e-mail addresses have accounts.
let decoyHash: Promise<string> | undefined;
export async function burnPasswordCheck(password: string): Promise<void> {
  decoyHash ??= hashPassword(randomUUID());
  await verifyPassword(password, await decoyHash);
}

export function digestSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Constant-time comparison of a presented secret against a stored SHA-256 digest. */
export function secretMatchesDigest(secret: string, digest: string): boolean {
  const a = Buffer.from(digestSecret(secret), 'hex');
  const b = Buffer.from(digest, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** API tokens are UUIDs, as Fluent's "Client API Authentication Token" is. */
export function newApiToken(): string {
  return randomUUID();
}

export const INGEST_KEY_PREFIX = 'flik_';

export function newIngestKey(): string {
  return INGEST_KEY_PREFIX + randomBytes(24).toString('base64url');
}

export function newPassword(): string {
  return randomBytes(12).toString('base64url');
}
