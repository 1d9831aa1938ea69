import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClockModule } from '../common/clock.module';
import { AppConfig, ConfigModule } from '../config';
import { BroadcastModule } from '../modules/broadcast/broadcast.module';
import { ReadinessModule } from '../modules/health/readiness.module';
import { knownScopes, Principal, ApiKeyService } from '../modules/gateway';
import { isUuid, PersistenceModule, UserRepository } from '../modules/persistence';
import { CliUsageError } from './cli-args';

/** `keys create`: an operator mints an API key for a user (by email or id); prints the key. */
export async function createApiKeyCommand(
  config: AppConfig,
  args: { owner: string; scopes: string[]; name: string },
): Promise<string> {
  const scopes = knownScopes(args.scopes);
  const unknown = args.scopes.filter((scope) => !scopes.includes(scope as never));
  if (unknown.length > 0 || scopes.length === 0)
    throw new CliUsageError(`Unknown scope(s): ${unknown.join(', ') || '(none given)'}`);

  @Module({
    imports: [
      ConfigModule.forRoot(config),
      ReadinessModule,
      BroadcastModule,
      PersistenceModule,
      ClockModule,
    ],
    providers: [ApiKeyService],
  })
  class CreateApiKeyModule {}

  const context = await NestFactory.createApplicationContext(CreateApiKeyModule, {
    logger: ['error'],
    abortOnError: false,
  });
  try {
    const users = context.get(UserRepository);
    const owner = isUuid(args.owner)
      ? await users.findById(args.owner)
      : await users.findByEmail(args.owner);
    if (!owner) throw new CliUsageError(`No user "${args.owner}"`);
    const operator: Principal = { kind: 'user', id: 'cli', ownerId: owner.id, scopes: ['admin'] };
    const created = await context
      .get(ApiKeyService)
      .create(operator, { name: args.name, scopes, ownerId: owner.id });
    return created.key;
  } finally {
    await context.close();
  }
}
