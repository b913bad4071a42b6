import type { Command } from 'commander';
import { CLI_ACTOR } from '../../domain/actor.js';
import { findController, ingestKeyState, listIngestKeys, revokeIngestKeys, rotateIngestKey } from '../../domain/onboarding.js';
import { systemClock } from '../../domain/time.js';
import { ERRORS } from '../../errors.js';
import { withConfigFlags } from '../options.js';
import { checked, commandGroup, idOf, printJson, printRows, withMigratedStore, type WithStore } from './support.js';
import { ingestKeyJson, iso } from './wire.js';

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `30m`, `24h`, `7d`, `90s` or `0` in milliseconds. */
export function parseDuration(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([smhd])?$/.exec(text.trim());
  if (!m || (m[2] === undefined && Number(m[1]) !== 0)) throw ERRORS.invalidRequest(`${what} takes a duration such as 30m, 24h, 7d or 0, not "${text}".`);
  return Math.round(Number(m[1]) * (m[2] === undefined ? 0 : UNIT_MS[m[2] as keyof typeof UNIT_MS]));
}

/** `flowline ingest-key rotate|revoke|list`: the device credentials of a controller. */
export function registerIngestKeyCommands(program: Command, withStore: WithStore): void {
  const ingestKey = commandGroup(program, 'ingest-key', "manage controllers' ingest keys (device credentials)");

  withConfigFlags(ingestKey.command('rotate').description('issue a new ingest key; the old ones keep working for the overlap, then stop'))
    .requiredOption('--controller <controller>', 'serial number or id')
    .option('--overlap <duration>', 'how long the old keys keep working: 0 (stop now) to 30d', '24h')
    .action(async (flags) => {
      const overlapMs = checked(() => parseDuration(flags.overlap, '--overlap'));
      await withMigratedStore(withStore, flags, async (store) => {
        const controller = await findController(store, CLI_ACTOR, flags.controller);
        const rotated = await rotateIngestKey(store, CLI_ACTOR, controller.id, overlapMs, systemClock);
        console.log(`new ingest key ${rotated.record.id} (${rotated.record.prefix}…) for controller ${controller.serialNumber}`);
        console.log(`ingest key: ${rotated.key}`);
        console.log('The ingest key is shown only now and will not be shown again: put it in the device (Authorization: Bearer <key>).');
        console.log(overlapMs === 0 ? 'The previous keys stopped working now.' : `The previous keys keep working until ${iso(rotated.previousKeysStopAt)}.`);
      });
    });

  withConfigFlags(ingestKey.command('revoke').description("revoke one ingest key, or all of a controller's: the device is refused at once"))
    .requiredOption('--controller <controller>', 'serial number or id')
    .option('--key <id>', 'only this key (see ingest-key list)')
    .action(async (flags) => {
      const keyId = flags.key === undefined ? undefined : checked(() => idOf(flags.key, '--key'));
      await withMigratedStore(withStore, flags, async (store) => {
        const controller = await findController(store, CLI_ACTOR, flags.controller);
        // Only keys that still worked are revoked (and counted); one that no longer works is not found.
        const revoked = await revokeIngestKeys(store, CLI_ACTOR, controller.id, systemClock, keyId);
        if (keyId !== undefined) {
          console.log(`revoked ingest key ${keyId} of controller ${controller.serialNumber}`);
        } else {
          console.log(`revoked ${revoked} working ingest key${revoked === 1 ? '' : 's'} of controller ${controller.serialNumber}`);
          console.log('The controller has no working key now: `flowline ingest-key rotate` issues a new one.');
        }
      });
    });

  withConfigFlags(ingestKey.command('list').description("list a controller's ingest keys (never the keys themselves)"))
    .requiredOption('--controller <controller>', 'serial number or id')
    .option('--json', 'print a JSON array')
    .action(async (flags) => {
      await withMigratedStore(withStore, flags, async (store) => {
        const controller = await findController(store, CLI_ACTOR, flags.controller);
        const keys = await listIngestKeys(store, CLI_ACTOR, controller.id);
        const now = systemClock.now();
        if (flags.json) return printJson(keys.map((k) => ingestKeyJson(k, now)));
        printRows(
          keys.map((k) => {
            const state = ingestKeyState(k, now);
            const when = state === 'revoked' ? iso(k.revokedAt) : state === 'active' ? null : iso(k.expiresAt);
            return [k.id, `${k.prefix}…`, when === null ? state : `${state} ${state === 'expiring' ? 'at' : 'since'} ${when}`, `created ${iso(k.createdAt)}`];
          }),
        );
      });
    });
}
