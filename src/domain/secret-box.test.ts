import { describe, expect, it } from 'vitest';
import { newSecretKey, parseSecretKey, secretBox, SecretKeyError } from './secret-box.js';

describe('secretBox', () => {
  const box = secretBox(parseSecretKey(newSecretKey()));

  it('opens what it sealed, and seals the same secret differently each time', () => {
    const sealed = box.seal('whsec_abc');
    expect(sealed).not.toContain('whsec_abc');
    expect(box.open(sealed)).toBe('whsec_abc');
    expect(box.seal('whsec_abc')).not.toBe(sealed);
  });

  it('refuses a tampered ciphertext and another key', () => {
    const sealed = box.seal('whsec_abc');
    const flipped = `${sealed.slice(0, -2)}${sealed.at(-2) === 'A' ? 'B' : 'A'}${sealed.at(-1)}`;
    expect(() => box.open(flipped)).toThrow();
    expect(() => secretBox(parseSecretKey(newSecretKey())).open(sealed)).toThrow();
    expect(() => box.open('plain')).toThrow(SecretKeyError);
  });

  it('takes only 32-byte base64 keys', () => {
    expect(() => parseSecretKey('short')).toThrow(SecretKeyError);
    expect(() => parseSecretKey(Buffer.alloc(16).toString('base64'))).toThrow(SecretKeyError);
  });
});
