import type { LinkServices, PasswordLink } from '../../domain/accounts.js';
import { systemClock } from '../../domain/time.js';
import type { User } from '../../domain/types.js';
import { mailerFor } from '../../mail/mailer.js';
import type { Store } from '../../store/store.js';
import { configFrom } from '../options.js';
import { publicUrlOf } from '../../http/app.js';
import { withMigratedStore, type WithStore } from './support.js';
import { iso } from './wire.js';

/** Links need the mailer and the address people reach the web app at. */
export async function withLinkServices(withStore: WithStore, flags: Record<string, unknown>, work: (services: LinkServices) => Promise<void>): Promise<void> {
  const config = configFrom(flags);
  const mailer = mailerFor(config);
  const publicUrl = publicUrlOf(config);
  try {
    await withMigratedStore(withStore, flags, (store: Store) => work({ store, clock: systemClock, mailer, publicUrl }));
  } finally {
    mailer.close?.();
  }
}

export function mailFailed(error: unknown): void {
  process.stderr.write(`flowline: warning: the e-mail could not be sent (${(error as Error).message}); hand the link over yourself.\n`);
}

export function printLink(link: PasswordLink, user: User, services: LinkServices, indent = ''): void {
  console.log(`${indent}set-password link: ${link.url}`);
  console.log(`${indent}link expires: ${iso(link.expiresAt)} (it works once)`);
  console.log(indent + (link.mailed ? `e-mailed to ${user.email}` : services.mailer.enabled ? 'not e-mailed: sending failed (see above)' : 'not e-mailed: mail is not configured (SMTP_URL)'));
}
