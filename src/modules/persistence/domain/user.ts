export interface UserRecord {
  id: string;
  /** Lower-cased. */
  email: string;
  passwordHash: string | null;
  displayName: string | null;
  scopes: string[];
  disabledAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewUser {
  email: string;
  passwordHash?: string;
  displayName?: string;
  scopes?: string[];
}

export abstract class UserRepository {
  /** Throws `DuplicateRecordError` when the email (compared case-insensitively) is taken. */
  abstract create(user: NewUser): Promise<UserRecord>;

  /** Creates the user unless the email is taken; resolves with whichever user holds it. */
  abstract createIfAbsent(user: NewUser): Promise<UserRecord>;

  abstract findById(id: string): Promise<UserRecord | null>;

  /** Case-insensitive. */
  abstract findByEmail(email: string): Promise<UserRecord | null>;

  abstract anyWithScope(scope: string): Promise<boolean>;

  /** Deletes the user and, by cascade, their keys, sessions, images and aggregates. */
  abstract delete(id: string): Promise<boolean>;
}
