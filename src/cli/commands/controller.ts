import type { Command } from 'commander';
import { CLI_ACTOR } from '../../domain/actor.js';
import { getFacility, listControllers, registerController, type ChannelInput } from '../../domain/onboarding.js';
import { systemClock } from '../../domain/time.js';
import { withConfigFlags } from '../options.js';
import { parseChannelSpec, readChannelsFile } from './channel-specs.js';
import { checked, collect, commandGroup, idOf, numberOf, printJson, printRows, withMigratedStore, type WithStore } from './support.js';
import { controllerJson, iso } from './wire.js';

/** `flowline controller register|list`: devices, with their processes, channels and ingest keys. */
export function registerControllerCommands(program: Command, withStore: WithStore): void {
  const controller = commandGroup(program, 'controller', 'manage controllers (devices) and their channels');

  withConfigFlags(controller.command('register').description('register a controller with its processes and channels, and print its first ingest key'))
    .requiredOption('--facility <id>', 'id of the facility it is at')
    .requiredOption('--serial <serial>', 'serial number (unique across the platform)')
    .requiredOption('--model <model>', 'model, e.g. W900 (flow_sensor for a FlowCommand flow sensor)')
    .requiredOption('--name <name>', 'display name')
    .option('--pipe-diameter <inches>', 'flow sensors: pipe diameter in inches')
    .option('--tag <tag>', 'free-text label')
    .option('--process <name>', 'a process (repeatable); processes named by channels are added too', collect, [])
    .option('--channel <spec>', 'a channel number:type[:unit[:name[:process]]] (repeatable), e.g. S11:conductivity:µS/cm:Conductivity:Cooling Tower 1', collect, [])
    .option('--channels <file>', 'channels from a .json array of {number, type, unit?, name?, kind?, process?} or a .csv with those columns')
    .action(async (flags) => {
      const input = checked(() => {
        const channels: ChannelInput[] = [...flags.channel.map(parseChannelSpec), ...(flags.channels === undefined ? [] : readChannelsFile(flags.channels))];
        const named = channels.flatMap((c) => (c.process ? [c.process] : []));
        return {
          facilityId: idOf(flags.facility, '--facility'),
          serialNumber: flags.serial as string,
          model: flags.model as string,
          name: flags.name as string,
          pipeDiameter: flags.pipeDiameter === undefined ? null : numberOf(flags.pipeDiameter, '--pipe-diameter', { above: 0 }),
          tag: flags.tag ?? null,
          processes: [...new Set<string>([...flags.process, ...named])].map((name) => ({ name })),
          channels,
        };
      });
      await withMigratedStore(withStore, flags, async (store) => {
        const facility = await getFacility(store, CLI_ACTOR, input.facilityId);
        const registered = await registerController(store, CLI_ACTOR, input, systemClock);
        const c = registered.controller;
        console.log(`registered controller ${c.id} "${c.name}" (serial ${c.serialNumber}, model ${c.model}) at facility ${facility.id} "${facility.name}"`);
        const processName = new Map(registered.processes.map((p) => [p.id, p.name]));
        console.log(`processes: ${registered.processes.map((p) => `${p.name} (id ${p.id})`).join(', ') || 'none'}`);
        console.log(registered.channels.length === 0 ? 'channels: none' : 'channels:');
        printRows(registered.channels.map((ch) => [`  ${ch.number}`, ch.type, ch.unit, ch.name, ch.kind, ch.processId === null ? 'no process: its data is not stored' : `process ${processName.get(ch.processId)}`]));
        console.log(`ingest key: ${registered.ingestKey.key}`);
        console.log('The ingest key is shown only now and will not be shown again: put it in the device (Authorization: Bearer <key>).');
      });
    });

  withConfigFlags(controller.command('list').description('list controllers'))
    .option('--facility <id>', 'only those at this facility')
    .option('--json', 'print a JSON array')
    .action(async (flags) => {
      const facilityId = flags.facility === undefined ? undefined : checked(() => idOf(flags.facility, '--facility'));
      await withMigratedStore(withStore, flags, async (store) => {
        const controllers = await listControllers(store, CLI_ACTOR, facilityId === undefined ? {} : { facilityId });
        if (flags.json) return printJson(controllers.map(controllerJson));
        printRows(controllers.map((c) => [c.id, c.serialNumber, c.model, c.name, `facility ${c.facilityId}`, c.lastSeenAt === null ? 'never seen' : `last seen ${iso(c.lastSeenAt)}`]));
      });
    });
}
