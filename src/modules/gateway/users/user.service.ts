import { HttpStatus, Injectable } from '@nestjs/common';
import { AppError } from '../../../common/app-error';
import { DuplicateRecordError, UserRecord, UserRepository } from '../../persistence';
import { hashPassword } from '../auth/password-hasher';
import { Scope } from '../auth/principal';

export const DEFAULT_USER_SCOPES: Scope[] = ['images:write', 'images:read', 'predict'];

export type UserView = Pick<UserRecord, 'id' | 'email' | 'scopes' | 'createdAt'>;

@Injectable()
export class UserService {
  constructor(private readonly users: UserRepository) {}

  async create(
    email: string,
    password: string,
    scopes: Scope[] = DEFAULT_USER_SCOPES,
  ): Promise<UserView> {
    try {
      const user = await this.users.create({
        email,
        passwordHash: await hashPassword(password),
        scopes,
      });
      return { id: user.id, email: user.email, scopes: user.scopes, createdAt: user.createdAt };
    } catch (error) {
      if (error instanceof DuplicateRecordError) {
        throw new AppError(HttpStatus.CONFLICT, 'email_taken', 'A user with this email exists');
      }
      throw error;
    }
  }
}
