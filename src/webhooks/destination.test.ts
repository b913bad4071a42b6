import { describe, expect, it } from 'vitest';
import { allowedNetworks, checkWebhookUrl, DestinationError, isForbiddenAddress, safeLookup } from './destination.js';

const none = allowedNetworks(undefined);

describe('webhook destinations', () => {
  it('refuses private, loopback, link-local, metadata and unspecified addresses', () => {
    for (const ip of ['10.1.2.3', '172.16.0.1', '192.168.1.1', '127.0.0.1', '169.254.169.254', '0.0.0.0', '100.64.0.1', '::1', 'fe80::1', 'fd12::1', '::ffff:127.0.0.1', '::']) {
      expect(isForbiddenAddress(ip, none), ip).toBe(true);
    }
    for (const ip of ['93.184.216.34', '8.8.8.8', '2606:4700::1111']) expect(isForbiddenAddress(ip, none), ip).toBe(false);
  });

  it('allows what the operator allows', () => {
    const loopback = allowedNetworks('127.0.0.0/8, ::1');
    expect(isForbiddenAddress('127.0.0.1', loopback)).toBe(false);
    expect(isForbiddenAddress('::1', loopback)).toBe(false);
    expect(isForbiddenAddress('10.0.0.1', loopback)).toBe(true);
    expect(() => allowedNetworks('nonsense')).toThrow(DestinationError);
    expect(() => allowedNetworks('10.0.0.0/33')).toThrow(DestinationError);
  });

  it('accepts only http(s) URLs without credentials, and refuses literal forbidden hosts at once', () => {
    expect(checkWebhookUrl('https://hooks.example.com/x', none).hostname).toBe('hooks.example.com');
    for (const url of ['ftp://example.com/', 'file:///etc/passwd', 'javascript:alert(1)', 'not a url', 'https://user:pw@example.com/', 'http://127.0.0.1:8080/', 'http://[::1]/', 'http://169.254.169.254/latest/meta-data']) {
      expect(() => checkWebhookUrl(url, none), url).toThrow(DestinationError);
    }
    expect(checkWebhookUrl('http://127.0.0.1:9/', allowedNetworks('127.0.0.0/8')).port).toBe('9');
  });

  it('refuses a name that resolves to a forbidden address when connecting', async () => {
    const lookup = safeLookup(none);
    const result = await new Promise<{ error: Error | null }>((resolve) => lookup('localhost', {}, (error) => resolve({ error })));
    expect(result.error).toBeInstanceOf(DestinationError);
    const allowed = safeLookup(allowedNetworks('127.0.0.0/8,::1'));
    const ok = await new Promise<{ error: Error | null; address: unknown }>((resolve) => allowed('localhost', {}, (error, address) => resolve({ error, address })));
    expect(ok.error).toBeNull();
  });
});
