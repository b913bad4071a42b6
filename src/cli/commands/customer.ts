import type { Command } from 'commander';
import { CLI_ACTOR } from '../../domain/actor.js';
import { createCustomer, listCustomers, updateCustomer } from '../../domain/onboarding.js';
import { systemClock } from '../../domain/time.js';
import type { Customer } from '../../domain/types.js';
import { ERRORS } from '../../errors.js';
import type { Store } from '../../store/store.js';
import { withConfigFlags } from '../options.js';
import { commandGroup, customerByRef, printJson, printRows, withMigratedStore, type WithStore } from './support.js';
import { customerJson, iso } from './wire.js';

/** `flowline customer create|list|rename|disable|enable`: the tenants, managed by operators. */
export function registerCustomerCommands(program: Command, withStore: WithStore): void {
  const customer = commandGroup(program, 'customer', 'manage customers (the tenants)');

  withConfigFlags(customer.command('create').description('create a customer'))
    .requiredOption('--name <name>', "the customer's name (unique: commands name customers by it)")
    .action(async (flags) => {
      await withMigratedStore(withStore, flags, async (store) => {
        await refuseTakenName(store, flags.name);
        const created = await createCustomer(store, CLI_ACTOR, { name: flags.name });
        console.log(`created customer ${created.id} "${created.name}"`);
      });
    });

  withConfigFlags(customer.command('list').description('list customers'))
    .option('--json', 'print a JSON array')
    .action(async (flags) => {
      await withMigratedStore(withStore, flags, async (store) => {
        const customers = await listCustomers(store, CLI_ACTOR);
        if (flags.json) return printJson(customers.map(customerJson));
        printRows(customers.map((c) => [c.id, c.name, c.disabledAt === null ? 'enabled' : `disabled since ${iso(c.disabledAt)}`]));
      });
    });

  withConfigFlags(customer.command('rename').description('rename a customer').argument('<customer>', 'id or name'))
    .requiredOption('--name <name>', 'the new name')
    .action(async (ref: string, flags) => {
      await withMigratedStore(withStore, flags, async (store) => {
        const found = await customerByRef(store, ref);
        await refuseTakenName(store, flags.name, found);
        const renamed = await updateCustomer(store, CLI_ACTOR, found.id, { name: flags.name }, systemClock);
        console.log(`renamed customer ${renamed.id} "${found.name}" to "${renamed.name}"`);
      });
    });

  for (const [name, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    withConfigFlags(
      customer
        .command(name)
        .description(disabled ? "disable a customer: its users' logins and tokens, API clients, ingest keys and webhooks stop working; its data stays" : 'enable a disabled customer again')
        .argument('<customer>', 'id or name'),
    ).action(async (ref: string, flags) => {
      await withMigratedStore(withStore, flags, async (store) => {
        const found = await customerByRef(store, ref);
        const updated = await updateCustomer(store, CLI_ACTOR, found.id, { disabled }, systemClock);
        console.log(
          disabled
            ? `disabled customer ${updated.id} "${updated.name}" (since ${iso(updated.disabledAt)}): its credentials, ingest keys and webhooks no longer work`
            : `enabled customer ${updated.id} "${updated.name}"`,
        );
      });
    });
  }
}

/** Names identify customers on the command line and in site files, so two may not share one. */
async function refuseTakenName(store: Store, name: string, renaming?: Customer): Promise<void> {
  const taken = (await listCustomers(store, CLI_ACTOR)).find((c) => c.name === name.trim() && c.id !== renaming?.id);
  if (taken) throw ERRORS.conflict(`A customer named "${taken.name}" already exists (id ${taken.id}).`);
}
