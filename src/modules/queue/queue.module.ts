import { DynamicModule, Global, Injectable, Module, OnModuleInit, Provider } from '@nestjs/common';
import { BullModule, getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { AppConfig, RedisConfig } from '../../config';
import { ReadinessRegistry } from '../health/readiness.registry';
import { BullMqJobQueue } from './bullmq-job-queue';
import { BullMqQueues } from './bullmq-queues';
import { connectProducer, producerQueueOptions, WorkerLock } from './bullmq-options';
import { InProcessJobQueue } from './in-process-job-queue';
import { JobQueue } from './job-queue';
import { QUEUE_NAMES } from './queues';

export interface QueueModuleOptions {
  /** Lock and stalled-check timing of workers (tests shorten it to see recovery quickly). */
  workerLock?: WorkerLock;
}

/** Registers the 'queue' readiness check: producers can reach the backend. */
@Injectable()
class QueueReadiness implements OnModuleInit {
  constructor(
    private readonly jobQueue: JobQueue,
    private readonly readiness: ReadinessRegistry,
  ) {}

  onModuleInit(): void {
    this.readiness.register('queue', () => this.jobQueue.ping());
  }
}

const PRODUCER_CONNECTION = Symbol('PRODUCER_CONNECTION');

@Module({})
class ProducerConnectionModule {}

/**
 * The `JobQueue` port: BullMQ (through @nestjs/bullmq) when `REDIS_URL` is set, else the
 * in-process queue. Every role produces; only worker-role modules call `process()`.
 */
@Global()
@Module({})
export class QueueModule {
  static forRoot(config: AppConfig, options: QueueModuleOptions = {}): DynamicModule {
    const adapter = config.redis
      ? bullMq(config, config.redis, options.workerLock ?? configuredLock(config))
      : inProcess(config);
    return {
      module: QueueModule,
      imports: adapter.imports,
      providers: [adapter.jobQueue, adapter.bullMqQueues, QueueReadiness],
      exports: [JobQueue, BullMqQueues],
    };
  }
}

/** QUEUE_LOCK_MS both ways: a crashed worker's job runs again within about twice that. */
function configuredLock(config: AppConfig): WorkerLock {
  return { lockDurationMs: config.queue.lockMs, stalledIntervalMs: config.queue.lockMs };
}

interface Adapter {
  imports: DynamicModule[];
  jobQueue: Provider;
  bullMqQueues: Provider;
}

function inProcess(config: AppConfig): Adapter {
  return {
    imports: [],
    jobQueue: { provide: JobQueue, useFactory: () => new InProcessJobQueue(config.queue) },
    bullMqQueues: { provide: BullMqQueues, useValue: new BullMqQueues([]) },
  };
}

/**
 * Producers are @nestjs/bullmq's registered queues, sharing one fail-fast connection and
 * the prefix and job defaults of `BullModule.forRootAsync`. Workers are created by the
 * adapter when a module calls `process()`, which the static @Processor() classes cannot do.
 */
function bullMq(config: AppConfig, redis: RedisConfig, lock: WorkerLock): Adapter {
  const connection: DynamicModule = {
    module: ProducerConnectionModule,
    providers: [{ provide: PRODUCER_CONNECTION, useFactory: () => connectProducer(redis) }],
    exports: [PRODUCER_CONNECTION],
  };
  return {
    imports: [
      connection,
      BullModule.forRootAsync({
        imports: [connection],
        inject: [PRODUCER_CONNECTION],
        useFactory: (producer: Redis) => producerQueueOptions(redis, config.queue, producer),
      }),
      BullModule.registerQueue(...QUEUE_NAMES.map((name) => ({ name }))),
    ],
    jobQueue: {
      provide: JobQueue,
      inject: [PRODUCER_CONNECTION, ...QUEUE_NAMES.map((name) => getQueueToken(name))],
      useFactory: (producer: Redis, ...queues: Queue[]) =>
        new BullMqJobQueue(queues, producer, { redis, queue: config.queue, lock }),
    },
    bullMqQueues: {
      provide: BullMqQueues,
      inject: QUEUE_NAMES.map((name) => getQueueToken(name)),
      useFactory: (...queues: Queue[]) => new BullMqQueues(queues),
    },
  };
}
