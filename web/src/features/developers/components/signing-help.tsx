/** What each POST carries and how a receiver checks it (docs/webhooks.md, src/webhooks/signing.ts). */
export function SigningHelp({ kind }: { kind: 'flowcommand' | 'fluent' }) {
  return (
    <details className="signing-help">
      <summary>How requests are signed</summary>
      <p>Every delivery is an HTTPS POST with a JSON body and these headers:</p>
      <ul>
        {kind === 'flowcommand' ? (
          <li>
            <code>FC-Signature</code>: the endpoint’s secret itself, as the FlowCommand API describes it. Compare it, in constant time, with the secret you stored.
            Because it is the secret in clear, use an <code>https://</code> URL.
          </li>
        ) : null}
        <li>
          <code>webhook-id</code>: the event’s id, the same on every retry and re-send (use it to drop duplicates).
        </li>
        <li>
          <code>webhook-timestamp</code>: seconds since 1970 when the attempt was sent; refuse those more than 5 minutes off your clock.
        </li>
        <li>
          <code>webhook-signature</code>: <code>v1,</code> followed by the base64 HMAC-SHA256 of <code>webhook-id.webhook-timestamp.body</code>, keyed by the secret’s bytes
          (the base64 after <code>whsec_</code>). This is the Standard Webhooks scheme: any <code>standardwebhooks</code> library verifies it with the secret as shown.
        </li>
      </ul>
      <p>
        Answer with any 2xx within 10 seconds. Network errors, timeouts, 5xx, 408 and 429 are retried with backoff for up to 3 days; other answers are final. An
        endpoint whose deliveries all fail for 3 days is disabled, with the reason shown here. <strong>Send test event</strong> queues an event of type{' '}
        <code>test</code> (with <code>"test": true</code>) in the same shape and signing as real ones.
      </p>
    </details>
  );
}
