import type { Command } from 'commander';
import type { LinkServices } from '../../domain/accounts.js';
import { CLI_ACTOR } from '../../domain/actor.js';
import { importSite, type Outcome, type SiteImportReport } from '../../domain/site-import.js';
import { ERRORS } from '../../errors.js';
import { MAIL_COMMAND, withConfigFlags } from '../options.js';
import { mailFailed, printLink, withLinkServices } from './links.js';
import { checked, readTextFile, usageErrors, type WithStore } from './support.js';

/** `flowline import site.json`: a customer's whole site from one file (docs/onboarding.md). */
export function registerImportCommand(program: Command, withStore: WithStore): void {
  withConfigFlags(
    usageErrors(program.command('import'))
      .description('onboard a site from a JSON file: customer, facilities, controllers with processes and channels, users (docs/onboarding.md); what exists already is left as it is')
      .argument('<file>', 'the site file (.json)'),
    MAIL_COMMAND,
  ).action(async (file: string, flags) => {
    const site = checked(() => readSiteFile(file));
    await withLinkServices(withStore, flags, async (services) => {
      const report = await importSite(services, CLI_ACTOR, site, mailFailed);
      printReport(report, services);
    });
  });
}

function readSiteFile(path: string): unknown {
  const text = readTextFile(path);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw ERRORS.invalidRequest(`${path} is not JSON: ${(error as Error).message}`);
  }
}

const state = (outcome: Outcome<unknown>) => (outcome.created ? 'created' : 'exists');

function printReport(report: SiteImportReport, services: LinkServices): void {
  const { customer } = report;
  console.log(`customer ${customer.record.id} "${customer.record.name}": ${state(customer)}${customer.record.disabledAt !== null ? ' (disabled)' : ''}`);
  const counts = { facilities: 0, controllers: 0, processes: 0, channels: 0, users: 0 };
  let secrets = 0;
  for (const facility of report.facilities) {
    if (facility.created) counts.facilities++;
    console.log(`facility ${facility.record.id} "${facility.record.name}": ${state(facility)}`);
    for (const controller of facility.controllers) {
      if (controller.created) counts.controllers++;
      const newProcesses = controller.processes.filter((p) => p.created);
      const newChannels = controller.channels.filter((c) => c.created);
      counts.processes += newProcesses.length;
      counts.channels += newChannels.length;
      const c = controller.record;
      const added = [...newProcesses.map((p) => `process "${p.record.name}"`), ...newChannels.map((ch) => `channel ${ch.record.number}`)];
      const detail = controller.created
        ? `registered with ${controller.processes.length} process(es) and ${controller.channels.length} channel(s)`
        : added.length > 0
          ? `exists; added ${added.join(', ')}`
          : 'exists';
      console.log(`  controller ${c.id} ${c.serialNumber} "${c.name}": ${detail}`);
      if (controller.ingestKey !== null) {
        console.log(`  ingest key: ${controller.ingestKey}`);
        secrets++;
      }
    }
  }
  for (const user of report.users) {
    console.log(`user ${user.record.id} ${user.record.email} (${user.record.role}): ${user.created ? 'invited' : 'exists'}`);
    if (user.link) {
      counts.users++;
      secrets++;
      printLink(user.link, user.record, services, '  ');
    }
  }
  const made = Object.entries(counts).filter(([, n]) => n > 0);
  console.log(
    customer.created || made.length > 0
      ? `created: ${[...(customer.created ? ['1 customer'] : []), ...made.map(([what, n]) => `${n} ${n === 1 ? singular[what as keyof typeof counts] : what}`)].join(', ')}`
      : 'nothing new: everything in the file exists already',
  );
  if (secrets > 0) console.log('The ingest keys and set-password links above are shown only now and will not be shown again.');
}

const singular = { facilities: 'facility', controllers: 'controller', processes: 'process', channels: 'channel', users: 'user' } as const;
