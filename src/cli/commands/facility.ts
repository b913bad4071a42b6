import type { Command } from 'commander';
import { CLI_ACTOR } from '../../domain/actor.js';
import { createFacility, listFacilities } from '../../domain/onboarding.js';
import { withConfigFlags } from '../options.js';
import { checked, commandGroup, customerByRef, numberOf, printJson, printRows, withMigratedStore, type WithStore } from './support.js';
import { facilityJson } from './wire.js';

/** `flowline facility create|list`: a customer's sites. */
export function registerFacilityCommands(program: Command, withStore: WithStore): void {
  const facility = commandGroup(program, 'facility', "manage customers' facilities (sites)");

  withConfigFlags(facility.command('create').description('create a facility of a customer'))
    .requiredOption('--customer <customer>', 'customer id or name')
    .requiredOption('--name <name>', "the facility's name")
    .option('--address <address>', 'postal address')
    .option('--latitude <degrees>', 'latitude, -90 to 90')
    .option('--longitude <degrees>', 'longitude, -180 to 180')
    .option('--time-zone <zone>', 'IANA time zone, e.g. America/Chicago (default UTC)')
    .action(async (flags) => {
      const position = checked(() => ({
        latitude: flags.latitude === undefined ? null : numberOf(flags.latitude, '--latitude', { min: -90, max: 90 }),
        longitude: flags.longitude === undefined ? null : numberOf(flags.longitude, '--longitude', { min: -180, max: 180 }),
      }));
      await withMigratedStore(withStore, flags, async (store) => {
        const customer = await customerByRef(store, flags.customer);
        const created = await createFacility(store, CLI_ACTOR, {
          customerId: customer.id,
          name: flags.name,
          address: flags.address ?? null,
          ...position,
          ...(flags.timeZone !== undefined ? { timeZone: flags.timeZone } : {}),
        });
        console.log(`created facility ${created.id} "${created.name}" of customer ${customer.id} "${customer.name}" (time zone ${created.timeZone})`);
      });
    });

  withConfigFlags(facility.command('list').description('list facilities'))
    .option('--customer <customer>', "only this customer's (id or name)")
    .option('--json', 'print a JSON array')
    .action(async (flags) => {
      await withMigratedStore(withStore, flags, async (store) => {
        const customerId = flags.customer === undefined ? undefined : (await customerByRef(store, flags.customer)).id;
        const facilities = await listFacilities(store, CLI_ACTOR, customerId === undefined ? {} : { customerId });
        if (flags.json) return printJson(facilities.map(facilityJson));
        printRows(facilities.map((f) => [f.id, f.name, `customer ${f.customerId}`, f.timeZone, f.address]));
      });
    });
}
