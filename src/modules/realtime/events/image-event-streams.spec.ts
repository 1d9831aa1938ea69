import type { HttpAdapterHost } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo, connect, Socket } from 'node:net';
import { once } from 'node:events';
import { waitUntil } from '../../../../test/support/eventually';
import { AppConfig } from '../../../config';
import type { ImageRecord, ImageRepository, PredictionRepository } from '../../persistence';
import type { RealtimeMetrics } from '../realtime-metrics';
import type { ImageEvents } from './image-events';
import { ImageEventStreams } from './image-event-streams';

const image = { id: 'img-1', ownerId: 'owner-1', status: 'uploaded' } as ImageRecord;

describe('ImageEventStreams', () => {
  let server: Server;
  let stopListening: jest.Mock;
  let sseClients: { inc: jest.Mock; dec: jest.Mock };
  let streams: ImageEventStreams;

  beforeEach(async () => {
    server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    stopListening = jest.fn();
    sseClients = { inc: jest.fn(), dec: jest.fn() };
    streams = new ImageEventStreams(
      { findById: async () => image } as unknown as ImageRepository,
      { listForImage: async () => [] } as unknown as PredictionRepository,
      { listen: () => stopListening } as unknown as ImageEvents,
      { sseClients } as unknown as RealtimeMetrics,
      AppConfig.fromEnv({}),
      {} as HttpAdapterHost,
    );
  });

  afterEach(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });

  /** A client's request for the image's events, as the server received it. */
  async function eventsRequest(): Promise<{
    client: Socket;
    req: IncomingMessage;
    res: ServerResponse;
  }> {
    const arrived = once(server, 'request') as Promise<[IncomingMessage, ServerResponse]>;
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
    client.write(`GET /v1/images/${image.id}/events HTTP/1.1\r\nHost: test\r\n\r\n`);
    const [req, res] = await arrived;
    return { client, req, res };
  }

  function replyOn(res: ServerResponse): { reply: FastifyReply; hijack: jest.Mock } {
    const hijack = jest.fn();
    return {
      reply: { raw: res, hijack, getHeaders: () => ({}) } as unknown as FastifyReply,
      hijack,
    };
  }

  it('sends the state to a client, and stops listening once it leaves', async () => {
    const { client, req, res } = await eventsRequest();
    let received = '';
    client.on('data', (chunk: Buffer) => (received += chunk.toString()));
    const { reply, hijack } = replyOn(res);

    await streams.stream(image, { raw: req } as FastifyRequest, reply);
    await waitUntil(() => received.includes('event:state'));
    expect(hijack).toHaveBeenCalled();
    expect(sseClients.inc).toHaveBeenCalledTimes(1);

    client.destroy();
    await waitUntil(() => stopListening.mock.calls.length > 0);
    expect(stopListening).toHaveBeenCalledTimes(1);
    expect(sseClients.dec).toHaveBeenCalledTimes(1);
  });

  it('opens nothing for a client that left while the first state was read', async () => {
    const { client, req, res } = await eventsRequest();
    client.destroy();
    await once(res, 'close');
    const { reply, hijack } = replyOn(res);

    await streams.stream(image, { raw: req } as FastifyRequest, reply);

    expect(stopListening).toHaveBeenCalledTimes(1);
    expect(hijack).not.toHaveBeenCalled();
    expect(sseClients.inc).not.toHaveBeenCalled();
  });
});
