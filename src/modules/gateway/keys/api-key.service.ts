import { HttpStatus, Injectable } from '@nestjs/common';
import { AppError } from '../../../common/app-error';
import { Broadcaster } from '../../broadcast/broadcaster';
import { ApiKeyRecord, ApiKeyRepository, UserRepository } from '../../persistence';
import { generateApiKey } from '../auth/api-key';
import { hasScope, Principal, RateLimitClass, Scope } from '../auth/principal';

export interface CreateApiKeyInput {
  name: string;
  scopes: Scope[];
  ownerId?: string;
  expiresAt?: Date;
  rateLimits?: Partial<Record<RateLimitClass, number>>;
}

export type ApiKeyView = Omit<ApiKeyRecord, 'secretHash'>;

/** API keys owned by a user; admins manage anyone's. */
@Injectable()
export class ApiKeyService {
  constructor(
    private readonly apiKeys: ApiKeyRepository,
    private readonly users: UserRepository,
    private readonly broadcaster: Broadcaster,
  ) {}

  /** The answer holds the whole key, once; only its hash is kept. */
  async create(caller: Principal, input: CreateApiKeyInput): Promise<ApiKeyView & { key: string }> {
    const ownerId = input.ownerId ?? caller.ownerId;
    if (ownerId !== caller.ownerId) {
      if (!hasScope(caller, 'admin')) throw ownerNotFound();
      if (!(await this.users.findById(ownerId))) throw ownerNotFound();
    }
    const beyond = input.scopes.filter((scope) => !hasScope(caller, scope));
    if (beyond.length > 0) {
      throw new AppError(
        HttpStatus.FORBIDDEN,
        'scope_escalation',
        `You cannot grant scopes you do not hold: ${beyond.join(', ')}`,
      );
    }
    const generated = generateApiKey();
    const record = await this.apiKeys.create({
      ownerId,
      name: input.name,
      prefix: generated.prefix,
      secretHash: generated.secretHash,
      scopes: input.scopes,
      expiresAt: input.expiresAt ?? null,
      rateLimits: input.rateLimits ?? null,
    });
    return { ...view(record), key: generated.key };
  }

  async list(caller: Principal): Promise<ApiKeyView[]> {
    return (await this.apiKeys.listForOwner(caller.ownerId)).map(view);
  }

  /** Revocation is heard by every replica at once; another owner's key is a 404. */
  async revoke(caller: Principal, id: string): Promise<void> {
    const key = await this.apiKeys.findById(id);
    if (!key || (key.ownerId !== caller.ownerId && !hasScope(caller, 'admin'))) {
      throw new AppError(HttpStatus.NOT_FOUND, 'api_key_not_found', 'No such API key');
    }
    await this.apiKeys.revoke(id);
    await this.broadcaster.publish('credentials-changed', { keyId: id });
  }
}

function view({ secretHash: _secretHash, ...rest }: ApiKeyRecord): ApiKeyView {
  return rest;
}

function ownerNotFound(): AppError {
  return new AppError(HttpStatus.NOT_FOUND, 'owner_not_found', 'No such owner');
}
