import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { newWebhookSecret, standardWebhookHeaders } from './signing.js';

describe('Standard Webhooks signing', () => {
  it('is verified by the standardwebhooks package, and a changed body or id is not', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const body = JSON.stringify({ type: 'ping_received', api_version: '1', data: { id: 1 } });
    const now = Math.floor(Date.now() / 1000);
    const headers = standardWebhookHeaders(secret, 'msg_42', now, body);
    const receiver = new Webhook(secret);
    expect(receiver.verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => receiver.verify(`${body} `, headers)).toThrow();
    expect(() => receiver.verify(body, { ...headers, 'webhook-id': 'msg_43' })).toThrow();
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow();
  });

  it('is refused by the receiver when the timestamp is too old (replay)', () => {
    const secret = newWebhookSecret();
    const old = Math.floor(Date.now() / 1000) - 3600;
    const headers = standardWebhookHeaders(secret, 'msg_1', old, '{}');
    expect(() => new Webhook(secret).verify('{}', headers)).toThrow();
  });
});
