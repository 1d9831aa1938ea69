import { once } from 'node:events';
import { createServer, Server } from 'node:http';

export interface Delivery {
  path: string;
  webhookId: string;
  type: string;
  imageId: string;
}

/** An HTTP endpoint in the test that records every webhook delivery and answers 204. */
export class WebhookReceiver {
  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly deliveries: Delivery[],
  ) {}

  static async start(): Promise<WebhookReceiver> {
    const deliveries: Delivery[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        const { type, data } = JSON.parse(body) as {
          type: string;
          data: { image: { id: string } };
        };
        deliveries.push({
          path: req.url ?? '',
          webhookId: String(req.headers['webhook-id']),
          type,
          imageId: data.image.id,
        });
        res.writeHead(204).end();
      });
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    return new WebhookReceiver(server, `http://127.0.0.1:${port}`, deliveries);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
