import type { Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { freePort } from '../../support/vireo-process';

export interface S3Server {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  /** Stops listening and cuts every open connection, as a crashed server would. */
  stop(): Promise<void>;
  /** Serves the same objects again on the same port. */
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/** s3rver (in this process) that can be stopped and started again over the same directory. */
export async function startS3Server(): Promise<S3Server> {
  const directory = await mkdtemp(join(tmpdir(), 'vireo-faults-s3-'));
  const port = await freePort();
  let server: S3rver | undefined;
  const start = async () => {
    server = new S3rver({ address: '127.0.0.1', port, silent: true, directory });
    await server.run();
  };
  const stop = async () => {
    const http = (server as unknown as { httpServer?: Server } | undefined)?.httpServer;
    if (!http?.listening) return;
    const closed = new Promise((resolve) => http.close(resolve));
    http.closeAllConnections();
    await closed;
  };
  await start();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    // s3rver's built-in account.
    accessKey: 'S3RVER',
    secretKey: 'S3RVER',
    start,
    stop,
    destroy: async () => {
      await stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
