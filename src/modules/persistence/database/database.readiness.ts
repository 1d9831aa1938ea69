import { Injectable, OnModuleInit } from '@nestjs/common';
import { ReadinessRegistry } from '../../health/readiness.registry';
import { DatabaseClient } from './database-client';

/** Readiness check `database`: a `SELECT 1` answered before the check's timeout. */
@Injectable()
export class DatabaseReadiness implements OnModuleInit {
  constructor(
    private readonly registry: ReadinessRegistry,
    private readonly db: DatabaseClient,
  ) {}

  onModuleInit(): void {
    this.registry.register('database', ({ signal }) => this.db.ping(signal));
  }
}
