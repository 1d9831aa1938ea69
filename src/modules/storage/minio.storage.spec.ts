import { createServer, Server, Socket } from 'node:net';
import { MinioStorage } from './minio.storage';

/** A server that accepts connections and never answers: storage that hangs. */
async function silentServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: () => {
      sockets.forEach((socket) => socket.destroy());
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe('MinioStorage against storage that never answers', () => {
  it('fails a request after the idle timeout instead of hanging', async () => {
    const server = await silentServer();
    const storage = new MinioStorage(
      {
        kind: 's3',
        endpoint: `http://127.0.0.1:${server.port}`,
        accessKey: 'key',
        secretKey: 'secret',
        bucket: 'vireo',
        region: 'us-east-1',
        serverSideEncryption: false,
      },
      { requestTimeoutMs: 200 },
    );
    try {
      const started = Date.now();
      await expect(storage.ping()).rejects.toThrow('No response from storage within 200 ms');
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      storage.onModuleDestroy();
      await server.close();
    }
  });
});
