import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../../../config';
import { ApiKeyRepository, UserRepository } from '../../persistence';
import { apiKeyFrom, generateApiKey } from '../auth/api-key';

export const FIRST_ADMIN_EMAIL = 'admin@vireo.local';

/**
 * First boot: with no admin yet, create one and its API key (`ADMIN_API_KEY`, or a new key
 * printed to the log once). Replicas booting together race on unique columns; one wins.
 */
@Injectable()
export class FirstAdminService implements OnApplicationBootstrap {
  private readonly logger = new Logger('FirstAdmin');

  constructor(
    private readonly users: UserRepository,
    private readonly apiKeys: ApiKeyRepository,
    private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const given = this.config.auth.adminApiKey ? apiKeyFrom(this.config.auth.adminApiKey) : null;
    if (given && (await this.apiKeys.findByPrefix(given.prefix))) return;
    if (!given && (await this.users.anyWithScope('admin'))) return;
    // No password: the first admin acts through its API key.
    const admin = await this.users.createIfAbsent({ email: FIRST_ADMIN_EMAIL, scopes: ['admin'] });
    const key = given ?? generateApiKey();
    const created = await this.apiKeys.createIfAbsent({
      ownerId: admin.id,
      name: 'first admin',
      prefix: key.prefix,
      secretHash: key.secretHash,
      scopes: ['admin'],
    });
    if (created && !given) {
      this.logger.warn(
        `Created the first admin (${FIRST_ADMIN_EMAIL}). Its API key, shown once: ${key.key}`,
      );
    }
  }
}
