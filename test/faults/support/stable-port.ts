import { readFile } from 'node:fs/promises';
import { once } from 'node:events';
import { createServer } from 'node:net';

/** Below Linux's default ephemeral range (32768-60999) and above the usual fixed ports. */
const LOWEST = 20_000;

/** The first port of the kernel's ephemeral range (the default when it cannot be read). */
async function ephemeralLow(): Promise<number> {
  const range = await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').catch(() => '');
  const low = Number(range.trim().split(/\s+/)[0]);
  return Number.isInteger(low) && low > LOWEST + 1000 ? low : 32_768;
}

async function bindable(port: number): Promise<boolean> {
  const server = createServer();
  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (!listening) return false;
  server.close();
  await once(server, 'close');
  return true;
}

/**
 * A free port for a server that is stopped and started again on the same port (the outage
 * stand-ins). `listen(0)` hands out ports from the ephemeral range, which the kernel also gives
 * every outgoing connection and every other `listen(0)` on this shared machine: while the
 * server is down (10 s and more, with Vireo's clients reconnecting all the while) its port can
 * be taken, or a client reconnecting to it can connect to itself (TCP simultaneous open), and
 * the restart fails with EADDRINUSE. Outside that range only an explicit bind can take it.
 */
export async function stablePort(): Promise<number> {
  const high = (await ephemeralLow()) - 1;
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (high - LOWEST + 1));
    if (await bindable(port)) return port;
  }
  throw new Error(`No free port in ${LOWEST}-${high}`);
}
