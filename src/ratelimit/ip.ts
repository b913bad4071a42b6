import { isIPv6 } from 'node:net';
import { Address6 } from 'ip-address';

/**
 * The address a per-IP budget is kept for. An IPv6 client usually holds a whole /64, so one
 * budget covers the /64 (otherwise each of its 2^64 addresses would get a fresh budget);
 * IPv4-mapped IPv6 addresses count as the IPv4 address they carry.
 */
export function clientAddress(ip: string): string {
  if (!isIPv6(ip)) return ip;
  const address = new Address6(ip);
  if (address.is4()) return address.to4().correctForm();
  return `${new Address6(`${address.correctForm()}/64`).startAddress().correctForm()}/64`;
}
