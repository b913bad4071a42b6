import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * Where a webhook may be delivered. Only http(s) URLs, and never to an address on the
 * server's own side of the network (private, loopback, link-local and cloud-metadata ranges,
 * CGNAT, multicast, unspecified) unless the operator allows that network. The check runs on
 * the addresses the name resolves to at connection time, so a name that later resolves
 * somewhere private (DNS rebinding) is refused too.
 */

const BLOCKED_V4 = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const;
const BLOCKED_V6 = [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['fd00:ec2::', 32],
] as const;

const blocked = new BlockList();
for (const [net, prefix] of BLOCKED_V4) blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of BLOCKED_V6) blocked.addSubnet(net, prefix, 'ipv6');

export class DestinationError extends Error {}

/** Networks the operator allows despite the rules above, from `a.b.c.d/n, x::/n` text. */
export function allowedNetworks(text: string | undefined): BlockList {
  const list = new BlockList();
  for (const entry of (text ?? '').split(',').map((e) => e.trim()).filter((e) => e !== '')) {
    const [address, prefix] = entry.split('/');
    const family = isIP(address ?? '');
    if (family === 0) throw new DestinationError(`"${entry}" is not an IP network (a.b.c.d/n or x::/n)`);
    const bits = prefix === undefined ? (family === 4 ? 32 : 128) : Number(prefix);
    if (!Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128)) throw new DestinationError(`"${entry}" has a bad prefix length`);
    list.addSubnet(address!, bits, family === 4 ? 'ipv4' : 'ipv6');
  }
  return list;
}

function familyOf(address: string): 'ipv4' | 'ipv6' {
  return isIP(address) === 6 ? 'ipv6' : 'ipv4';
}

export function isForbiddenAddress(address: string, allowed: BlockList): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  const ip = mapped ?? address;
  const family = familyOf(ip);
  if (allowed.check(ip, family)) return false;
  return blocked.check(ip, family);
}

/** Checks a URL's form; the address check happens when connecting (see `safeLookup`). */
export function checkWebhookUrl(text: string, allowed: BlockList): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new DestinationError(`"${text}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new DestinationError('Webhook URLs must be http:// or https://');
  if (url.username || url.password) throw new DestinationError('Webhook URLs may not carry credentials; use the signing secret');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0 && isForbiddenAddress(host, allowed)) {
    // Said to customers: the reason, not the server's variable (the operator knows WEBHOOK_ALLOWED_NETWORKS).
    throw new DestinationError(`${host} is a private, loopback or link-local address, not allowed by this server's settings; ask your Flowline operator`);
  }
  return url;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `lookup` for the HTTP client's connections that refuses forbidden addresses. */
export function safeLookup(allowed: BlockList) {
  return (hostname: string, options: { all?: boolean; family?: number | 'IPv4' | 'IPv6' }, callback: LookupCallback): void => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : (options.family ?? 0);
    dnsLookup(hostname, { all: true, family }, (error, addresses) => {
      if (error) return callback(error, []);
      const forbidden = addresses.find((a) => isForbiddenAddress(a.address, allowed));
      if (forbidden) {
        const refused = Object.assign(new DestinationError(`${hostname} resolves to ${forbidden.address}, a private, loopback or link-local address`), { code: 'EFORBIDDENADDRESS' });
        return callback(refused, []);
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0]!;
      return callback(null, first.address, first.family);
    });
  };
}
