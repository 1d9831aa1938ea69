import { Test } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '../../../config';
import { Broadcaster } from '../../broadcast/broadcaster';
import { InProcessBroadcaster } from '../../broadcast/in-process-broadcaster';
import {
  NewSession,
  SessionRecord,
  SessionRepository,
  UserRecord,
  UserRepository,
} from '../../persistence';
import { AccessTokenService } from './access-token.service';
import { AuthService } from './auth.service';
import { LoginThrottle } from './login-throttle';
import { hashPassword } from './password-hasher';

/** Sessions in a map, with the compare-and-set the port promises. */
class FakeSessions implements Pick<SessionRepository, 'create' | 'findById' | 'rotate' | 'revoke'> {
  readonly rows = new Map<string, SessionRecord>();

  async create(session: NewSession): Promise<SessionRecord> {
    const row: SessionRecord = {
      ...session,
      id: randomUUID(),
      userAgent: null,
      ip: null,
      revokedAt: null,
      lastUsedAt: null,
      createdAt: new Date(),
    };
    this.rows.set(row.id, row);
    return { ...row };
  }

  async findById(id: string): Promise<SessionRecord | null> {
    const row = this.rows.get(id);
    return row ? { ...row } : null;
  }

  async rotate(id: string, currentHash: string, nextHash: string, expiresAt: Date) {
    const row = this.rows.get(id);
    if (!row || row.revokedAt || row.refreshHash !== currentHash) return false;
    Object.assign(row, { refreshHash: nextHash, expiresAt });
    return true;
  }

  async revoke(id: string): Promise<boolean> {
    const row = this.rows.get(id);
    if (!row || row.revokedAt) return false;
    row.revokedAt = new Date();
    return true;
  }
}

describe('AuthService', () => {
  const password = 'correct horse battery staple';
  let user: UserRecord;
  let sessions: FakeSessions;
  let throttle: { beforeAttempt: jest.Mock };
  let broadcaster: InProcessBroadcaster;
  let auth: AuthService;

  beforeAll(async () => {
    const now = new Date();
    user = {
      id: randomUUID(),
      email: 'owner@example.com',
      passwordHash: await hashPassword(password),
      displayName: null,
      scopes: ['images:read', 'not-a-scope'],
      disabledAt: null,
      createdAt: now,
      updatedAt: now,
    };
  });

  beforeEach(async () => {
    sessions = new FakeSessions();
    throttle = { beforeAttempt: jest.fn().mockResolvedValue(undefined) };
    broadcaster = new InProcessBroadcaster();
    const users: Pick<UserRepository, 'findByEmail' | 'findById'> = {
      findByEmail: async (email) => (email === user.email ? user : null),
      findById: async (id) => (id === user.id ? user : null),
    };
    const moduleRef = await Test.createTestingModule({
      providers: [
        AuthService,
        { provide: UserRepository, useValue: users },
        { provide: SessionRepository, useValue: sessions },
        {
          provide: AccessTokenService,
          useValue: {
            ttlS: 900,
            issue: async (userId: string, sessionId: string, scopes: string[]) =>
              `access:${userId}:${sessionId}:${scopes.join(',')}`,
          },
        },
        { provide: LoginThrottle, useValue: throttle },
        { provide: Broadcaster, useValue: broadcaster },
        { provide: AppConfig, useValue: AppConfig.fromEnv({ JWT_REFRESH_TTL_S: '3600' }) },
      ],
    }).compile();
    auth = moduleRef.get(AuthService);
  });

  it('logs in with the right password: a session, and tokens carrying only known scopes', async () => {
    const before = Date.now();
    const pair = await auth.login(user.email, password, '192.0.2.1');
    const [session] = sessions.rows.values();
    expect(session.userId).toBe(user.id);
    expect(session.expiresAt.getTime()).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(pair).toEqual({
      accessToken: `access:${user.id}:${session.id}:images:read`,
      refreshToken: expect.stringContaining(session.id),
      tokenType: 'Bearer',
      expiresIn: 900,
    });
    expect(throttle.beforeAttempt).toHaveBeenCalledWith(user.email, '192.0.2.1');
  });

  it.each([
    ['a wrong password', 'owner@example.com', 'guess'],
    ['an unknown email', 'nobody@example.com', password],
  ])('refuses %s alike, with 401 invalid_login and no session', async (_what, email, tried) => {
    await expect(auth.login(email, tried, '192.0.2.1')).rejects.toMatchObject({
      code: 'invalid_login',
      status: 401,
    });
    expect(sessions.rows.size).toBe(0);
  });

  it('asks the throttle first: a throttled attempt never checks the password', async () => {
    throttle.beforeAttempt.mockRejectedValueOnce(new Error('throttled'));
    await expect(auth.login(user.email, password, '192.0.2.1')).rejects.toThrow('throttled');
    expect(sessions.rows.size).toBe(0);
  });

  it('rotates the refresh token once; the spent one then revokes the session', async () => {
    const first = await auth.login(user.email, password, '192.0.2.1');
    const second = await auth.refresh(first.refreshToken);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    const changed = new Promise((resolve) => broadcaster.subscribe('credentials-changed', resolve));

    await expect(auth.refresh(first.refreshToken)).rejects.toMatchObject({ status: 401 });
    const [session] = sessions.rows.values();
    expect(session.revokedAt).not.toBeNull();
    expect(await changed).toEqual({ sessionId: session.id });
    await expect(auth.refresh(second.refreshToken)).rejects.toMatchObject({ status: 401 });
  });

  it('refuses a malformed refresh token without looking for a session', async () => {
    const findById = jest.spyOn(sessions, 'findById');
    await expect(auth.refresh('not a token')).rejects.toMatchObject({ status: 401 });
    expect(findById).not.toHaveBeenCalled();
  });
});
