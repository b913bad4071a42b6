import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Secrets the server must use again later (webhook signing secrets) cannot be hashed; they are
 * sealed with AES-256-GCM under the server's key (`SECRET_KEY`), so a copy of the database
 * alone does not reveal them, and a tampered ciphertext fails to open.
 */
export interface SecretBox {
  seal(plain: string): string;
  open(sealed: string): string;
}

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretKeyError extends Error {}

/** A key as configured: 32 bytes, base64 (as `openssl rand -base64 32` prints). */
export function parseSecretKey(text: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32 || key.toString('base64') !== text.trim()) throw new SecretKeyError('SECRET_KEY must be 32 bytes in base64 (openssl rand -base64 32)');
  return key;
}

export function newSecretKey(): string {
  return randomBytes(32).toString('base64');
}

export function secretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new SecretKeyError('a secret box needs a 32-byte key');
  return {
    seal(plain) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
    },
    open(sealed) {
      const [version, data] = sealed.split('.');
      if (version !== VERSION || data === undefined) throw new SecretKeyError('not a sealed secret');
      const bytes = Buffer.from(data, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
      decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    },
  };
}
