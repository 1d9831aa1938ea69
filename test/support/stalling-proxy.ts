import { once } from 'node:events';
import { connect, createServer, Socket } from 'node:net';

export interface StallingProxy {
  /** The target's URL with host and port replaced by the proxy's. */
  url: string;
  /** From now on, bytes stop flowing either way; connections stay open (a silent partition). */
  stall(): void;
  /** Bytes held back flow again, in order, so the protocol on top resumes intact. */
  resume(): void;
  close(): Promise<void>;
}

/**
 * A TCP proxy to a real service that can be made to stop answering without closing anything,
 * as a service that hangs or a network that drops packets does: clients connect, write, and
 * wait. Stalling pauses reading on both ends rather than dropping bytes. `targetUrl` must
 * name its port.
 */
export async function startStallingProxy(targetUrl: string): Promise<StallingProxy> {
  const target = new URL(targetUrl);
  const sockets = new Set<Socket>();
  let stalled = false;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    if (stalled) socket.pause();
  };
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    track(client);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const url = new URL(targetUrl);
  url.host = `127.0.0.1:${port}`;
  return {
    url: url.toString(),
    stall: () => {
      stalled = true;
      for (const socket of sockets) socket.pause();
    },
    resume: () => {
      stalled = false;
      for (const socket of sockets) socket.resume();
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}
