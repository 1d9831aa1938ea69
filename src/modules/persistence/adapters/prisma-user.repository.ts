import { Injectable } from '@nestjs/common';
import { DatabaseClient } from '../database/database-client';
import { NewUser, UserRecord, UserRepository } from '../domain/user';
import { isUuid } from './ids';
import { unlessDuplicate } from './prisma-errors';

@Injectable()
export class PrismaUserRepository extends UserRepository {
  constructor(private readonly db: DatabaseClient) {
    super();
  }

  private get users() {
    return this.db.prisma.user;
  }

  create(user: NewUser): Promise<UserRecord> {
    return unlessDuplicate('user', () => this.users.create({ data: normalized(user) }));
  }

  async createIfAbsent(user: NewUser): Promise<UserRecord> {
    const data = normalized(user);
    // ON CONFLICT DO NOTHING: replicas creating the same user at once both succeed.
    await this.users.createMany({ data: [data], skipDuplicates: true });
    return this.users.findUniqueOrThrow({ where: { email: data.email } });
  }

  async findById(id: string): Promise<UserRecord | null> {
    return isUuid(id) ? this.users.findUnique({ where: { id } }) : null;
  }

  findByEmail(email: string): Promise<UserRecord | null> {
    return this.users.findUnique({ where: { email: normalizeEmail(email) } });
  }

  async anyWithScope(scope: string): Promise<boolean> {
    const user = await this.users.findFirst({
      where: { scopes: { has: scope } },
      select: { id: true },
    });
    return user !== null;
  }

  async delete(id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    const { count } = await this.users.deleteMany({ where: { id } });
    return count > 0;
  }
}

function normalized(user: NewUser): NewUser {
  return { ...user, email: normalizeEmail(user.email) };
}

function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
