import { HttpStatus, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { AppError } from '../../common/app-error';
import { BatchJob, BatchJobHandler } from './batch-job';

export type AnyBatchJobHandler = BatchJobHandler<unknown, unknown>;

/** Every `@BatchJob` provider of this process, by job name. */
@Injectable()
export class BatchJobRegistry implements OnModuleInit {
  private readonly logger = new Logger(BatchJobRegistry.name);
  private readonly handlers = new Map<string, AnyBatchJobHandler>();

  constructor(private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders({ metadataKey: BatchJob.KEY })) {
      const name = this.discovery.getMetadataByDecorator(BatchJob, wrapper);
      if (!name || !wrapper.instance) continue;
      const existing = this.handlers.get(name);
      // One class provided by two modules is two instances of one handler.
      if (existing && existing.constructor !== wrapper.metatype) {
        throw new Error(`Two handlers for batch job "${name}"`);
      }
      this.handlers.set(name, wrapper.instance as AnyBatchJobHandler);
    }
    this.logger.log(`Batch jobs: ${this.names().join(', ') || 'none'}`);
  }

  names(): string[] {
    return [...this.handlers.keys()].sort();
  }

  find(name: string): AnyBatchJobHandler | undefined {
    return this.handlers.get(name);
  }

  /** Throws 404 `batch_job_not_found` for a name no handler registers. */
  get(name: string): AnyBatchJobHandler {
    const handler = this.handlers.get(name);
    if (!handler) throw unknownBatchJob(name);
    return handler;
  }
}

export function unknownBatchJob(name: string): AppError {
  return new AppError(
    HttpStatus.NOT_FOUND,
    'batch_job_not_found',
    `No batch job named "${name}" is registered`,
  );
}
