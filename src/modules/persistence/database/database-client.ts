import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import type { DatabaseConfig } from '../../../config';
import { PrismaClient } from '../../../generated/prisma/client';
import { loadMigrations } from '../migrations/migration-files';
import { MigrationRunner } from '../migrations/migration-runner';
import { PG_CONNECT_TIMEOUT_MS, pgliteConnection } from '../migrations/sql-connection';
import { openPgliteStore } from './pglite-store';
import { migratePostgres } from './run-migrations';

const STATEMENT_TIMEOUT_MS = 60_000;
const TRANSACTION_OPTIONS = { maxWait: 5_000, timeout: 15_000 };

/** The module's Prisma client over the configured database; never leaves the module. */
export class DatabaseClient implements OnApplicationShutdown {
  private closed?: Promise<void>;

  private constructor(
    readonly prisma: PrismaClient,
    private readonly release: () => Promise<void>,
  ) {}

  /** Applies pending migrations, then connects. */
  static async open(config: DatabaseConfig): Promise<DatabaseClient> {
    const logger = new Logger('Persistence');
    const migrations = await loadMigrations();
    const logApplied = (applied: string[]) => {
      if (applied.length) logger.log(`Applied migrations: ${applied.join(', ')}`);
    };

    if (config.kind === 'pglite') {
      const store = await openPgliteStore(config.dir);
      try {
        logApplied(await new MigrationRunner(pgliteConnection(store.pglite), migrations).run());
      } catch (error) {
        await store.close();
        throw error;
      }
      const prisma = new PrismaClient({
        adapter: new PrismaPGlite(store.pglite),
        transactionOptions: TRANSACTION_OPTIONS,
      });
      return new DatabaseClient(prisma, async () => {
        await prisma.$disconnect();
        await store.close();
      });
    }

    logApplied(await migratePostgres(config.url, migrations));
    const adapter = new PrismaPg(
      {
        connectionString: config.url,
        max: config.poolSize,
        connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS,
        statement_timeout: STATEMENT_TIMEOUT_MS,
        application_name: 'vireo',
      },
      { onPoolError: (error) => logger.warn(`Idle database connection failed: ${error.message}`) },
    );
    const prisma = new PrismaClient({ adapter, transactionOptions: TRANSACTION_OPTIONS });
    return new DatabaseClient(prisma, () => prisma.$disconnect());
  }

  /** Resolves when the database answers; rejects on error or when `signal` aborts first. */
  async ping(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    // Prisma would quietly reconnect after close; a closed client is not ready.
    if (this.closed) throw new Error('The database client is closed');
    const aborted = new Promise<never>((_, reject) =>
      signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true }),
    );
    await Promise.race([this.prisma.$queryRaw`SELECT 1`, aborted]);
  }

  /** Idempotent. */
  close(): Promise<void> {
    this.closed ??= this.release();
    return this.closed;
  }

  onApplicationShutdown(): Promise<void> {
    return this.close();
  }
}
