import { describe, expect, it } from 'vitest';
import { clientAddress } from './ip.js';

describe('clientAddress', () => {
  it('keeps IPv4 addresses as they are', () => {
    expect(clientAddress('203.0.113.7')).toBe('203.0.113.7');
  });
  it('counts an IPv4-mapped IPv6 address as its IPv4 address', () => {
    expect(clientAddress('::ffff:203.0.113.7')).toBe('203.0.113.7');
  });
  it('gives every address of one IPv6 /64 the same budget, and another /64 its own', () => {
    expect(clientAddress('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientAddress('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(clientAddress('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
  });
});
