/**
 * The bench's webhook receiver, in its own process so that it does not share the server's
 * event loop: answers 200 to every POST and records when each ping arrived (epoch ms, with
 * sub-millisecond precision), handing the records to the parent on request.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const arrivals: [id: number, at: number][] = [];
const now = () => performance.timeOrigin + performance.now();

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const at = now();
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: { id: number } };
    arrivals.push([body.data.id, at]);
    response.end('ok');
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));
process.on('message', (message: { take?: boolean }) => {
  if (message.take) process.send!({ arrivals: arrivals.splice(0) });
});
process.on('disconnect', () => process.exit(0));
