import { BroadcastMessages } from '../../src/modules/broadcast/broadcast-messages';
import { Broadcaster } from '../../src/modules/broadcast/broadcaster';
import { InProcessBroadcaster } from '../../src/modules/broadcast/in-process-broadcaster';
import { RedisBroadcaster } from '../../src/modules/broadcast/redis-broadcaster';
import { waitUntil } from '../support/eventually';
import { TEST_REDIS_URL, uniqueRedisPrefix } from '../support/services';

type Message = BroadcastMessages['model-promoted'];

interface Deployment {
  /** Two replicas' broadcasters (the same one where messages stay in one process). */
  replicas: [Broadcaster, Broadcaster];
  close: () => Promise<void>;
}

const adapters: [string, () => Promise<Deployment>][] = [
  [
    'in-process',
    async () => {
      const broadcaster = new InProcessBroadcaster();
      return { replicas: [broadcaster, broadcaster], close: async () => undefined };
    },
  ],
  [
    'redis',
    async () => {
      const redis = { url: TEST_REDIS_URL, prefix: uniqueRedisPrefix() };
      const replicas: [RedisBroadcaster, RedisBroadcaster] = [
        new RedisBroadcaster(redis),
        new RedisBroadcaster(redis),
      ];
      return {
        replicas,
        close: async () => {
          await Promise.all(replicas.map((r) => r.onApplicationShutdown()));
        },
      };
    },
  ],
];

function nextMessage(broadcaster: Broadcaster): Promise<Message> {
  return new Promise((resolve) => {
    const unsubscribe = broadcaster.subscribe('model-promoted', (message) => {
      unsubscribe();
      resolve(message);
    });
  });
}

async function settle(broadcaster: Broadcaster): Promise<void> {
  if (broadcaster instanceof RedisBroadcaster) await broadcaster.ready();
}

describe.each(adapters)('Broadcaster (%s)', (_name, deploy) => {
  let deployment: Deployment;

  beforeEach(async () => {
    deployment = await deploy();
  });
  afterEach(() => deployment.close());

  it("delivers a message published on one replica to another replica's subscriber", async () => {
    const [a, b] = deployment.replicas;
    const received = nextMessage(b);
    await settle(b);
    await a.publish('model-promoted', { model: 'moderation', version: 2 });
    await expect(received).resolves.toEqual({ model: 'moderation', version: 2 });
  });

  it('stops delivering after unsubscribe', async () => {
    const [a, b] = deployment.replicas;
    const seen: Message[] = [];
    const unsubscribe = b.subscribe('model-promoted', (message) => seen.push(message));
    await settle(b);
    await a.publish('model-promoted', { model: 'm', version: 1 });
    await waitUntil(() => seen.length === 1);
    unsubscribe();
    const stillListening = nextMessage(b);
    await settle(b);
    await a.publish('model-promoted', { model: 'm', version: 2 });
    await stillListening;
    expect(seen).toEqual([{ model: 'm', version: 1 }]);
  });

  it('keeps channels apart', async () => {
    const [a, b] = deployment.replicas;
    const credentials: unknown[] = [];
    b.subscribe('credentials-changed', (message) => credentials.push(message));
    const promoted = nextMessage(b);
    await settle(b);
    await a.publish('model-promoted', { model: 'm', version: 3 });
    await promoted;
    expect(credentials).toEqual([]);
  });
});
