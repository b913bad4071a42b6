import { Option, type Command } from 'commander';
import { ERRORS } from '../../errors.js';
import { createAccount, inviteUser, issueApiToken, listUsers, resetUserPassword, updateUser } from '../../domain/accounts.js';
import { CLI_ACTOR } from '../../domain/actor.js';
import { newPassword } from '../../domain/secrets.js';
import { systemClock } from '../../domain/time.js';
import type { User } from '../../domain/types.js';
import { MAIL_COMMAND, withConfigFlags } from '../options.js';
import { mailFailed, printLink, withLinkServices } from './links.js';
import { commandGroup, customerByRef, printJson, printRows, usage, userByEmail, withMigratedStore, type WithStore } from './support.js';
import { iso, userJson } from './wire.js';

/** `flowline user create|invite|reset-password|disable|enable|token|list`. */
export function registerUserCommands(program: Command, withStore: WithStore): void {
  const user = commandGroup(program, 'user', 'manage user accounts');

  withConfigFlags(user.command('create').description('create a user with a password (prints a generated one if none is given)'))
    .requiredOption('--email <email>', 'login e-mail address')
    .option('--name <name>', 'display name')
    .addOption(new Option('--role <role>', 'role').choices(['admin', 'user']).default('user'))
    .addOption(new Option('--customer <customer>', 'the customer the user belongs to (id or name)').conflicts('operator'))
    .option('--operator', 'a platform operator, who belongs to no customer and manages them all')
    .option('--password <password>', 'initial password (default: generated and printed)')
    .option('--token', 'also generate an API token (accepts the API terms for the user) and print it')
    .action(async (flags) => {
      requireCustomerOrOperator(flags, 'user create');
      await withMigratedStore(withStore, flags, async (store) => {
        const customer = flags.customer === undefined ? null : await customerByRef(store, flags.customer);
        const password: string = flags.password ?? newPassword();
        const created = await createAccount(store, CLI_ACTOR.scope, {
          customerId: customer?.id ?? null,
          operator: customer === null,
          email: flags.email,
          name: flags.name ?? flags.email,
          role: flags.role,
          password,
        });
        console.log(`created user ${created.id} (${roleAndCustomer(created, customer?.name)})`);
        console.log(`username: ${created.email}`);
        if (flags.password === undefined) console.log(`password: ${password}`);
        if (flags.token) console.log(`token: ${(await issueApiToken(store, created.id, systemClock)).token}`);
      });
    });

  withConfigFlags(user.command('invite').description('create a user without a password and print (and, with SMTP_URL set, e-mail) their set-password link'), MAIL_COMMAND)
    .requiredOption('--email <email>', 'login e-mail address')
    .option('--name <name>', 'display name (default: the e-mail address)')
    .addOption(new Option('--role <role>', 'role').choices(['admin', 'user']).default('user'))
    .addOption(new Option('--customer <customer>', 'the customer the user belongs to (id or name)').conflicts('operator'))
    .option('--operator', 'a platform operator, who belongs to no customer and manages them all')
    .action(async (flags) => {
      requireCustomerOrOperator(flags, 'user invite');
      await withLinkServices(withStore, flags, async (services) => {
        const customer = flags.customer === undefined ? null : await customerByRef(services.store, flags.customer);
        const invited = await inviteUser(
          services,
          CLI_ACTOR,
          { email: flags.email, role: flags.role, ...(flags.name !== undefined ? { name: flags.name } : {}), ...(customer ? { customerId: customer.id } : { operator: true }) },
          mailFailed,
        );
        console.log(`invited user ${invited.user.id} ${invited.user.email} (${roleAndCustomer(invited.user, customer?.name)})`);
        printLink(invited.link, invited.user, services);
      });
    });

  withConfigFlags(user.command('reset-password').description('print (and, with SMTP_URL set, e-mail) a new set-password link for a user'), MAIL_COMMAND)
    .requiredOption('--email <email>', 'login e-mail address')
    .action(async (flags) => {
      await withLinkServices(withStore, flags, async (services) => {
        const found = await userByEmail(services.store, flags.email);
        const { user: reset, link } = await resetUserPassword(services, CLI_ACTOR, found.id, mailFailed);
        console.log(`new set-password link for user ${reset.id} ${reset.email}; any earlier unused link no longer works`);
        printLink(link, reset, services);
      });
    });

  for (const [name, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    withConfigFlags(user.command(name).description(disabled ? "disable a user: their logins and API token stop working" : 'enable a disabled user again'))
      .requiredOption('--email <email>', 'login e-mail address')
      .action(async (flags) => {
        await withMigratedStore(withStore, flags, async (store) => {
          const found = await userByEmail(store, flags.email);
          const updated = await updateUser(store, CLI_ACTOR, found.id, { disabled }, systemClock);
          console.log(`${disabled ? 'disabled' : 'enabled'} user ${updated.id} ${updated.email}`);
        });
      });
  }

  withConfigFlags(user.command('token').description('generate a new API token for a user, revoking the previous one'))
    .requiredOption('--email <email>', 'login e-mail address')
    .action(async (flags) => {
      await withMigratedStore(withStore, flags, async (store) => {
        const found = await userByEmail(store, flags.email);
        if (found.disabledAt !== null) throw ERRORS.unprocessable(`${found.email} is disabled: enable them first (flowline user enable).`);
        const issued = await issueApiToken(store, found.id, systemClock);
        console.log(`username: ${found.email}`);
        console.log(`token: ${issued.token}`);
      });
    });

  withConfigFlags(user.command('list').description('list users'))
    .option('--customer <customer>', "only this customer's users (id or name)")
    .option('--json', 'print a JSON array')
    .action(async (flags) => {
      await withMigratedStore(withStore, flags, async (store) => {
        const customerId = flags.customer === undefined ? undefined : (await customerByRef(store, flags.customer)).id;
        const users = await listUsers(store, CLI_ACTOR, customerId === undefined ? {} : { customerId });
        if (flags.json) return printJson(users.map(userJson));
        printRows(
          users.map((u) => [
            u.id,
            u.email,
            u.role,
            u.operator ? 'operator' : `customer ${u.customerId}`,
            u.hasApiToken ? 'token' : 'no token',
            u.disabledAt !== null ? `disabled since ${iso(u.disabledAt)}` : u.hasPassword ? 'active' : 'invited',
          ]),
        );
      });
    });
}

/** A user belongs to a customer or is an operator: the command line says which, never by omission. */
function requireCustomerOrOperator(flags: { customer?: string; operator?: boolean }, command: string): void {
  if (flags.customer === undefined && flags.operator !== true) {
    usage(`${command} needs --customer <id|name> (the customer the user belongs to) or --operator (a platform operator, who belongs to no customer).`);
  }
}

function roleAndCustomer(user: User, customerName: string | undefined): string {
  return user.operator ? `${user.role}, platform operator` : `${user.role}, customer ${user.customerId} "${customerName}"`;
}
