import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { HttpStatus, Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../../common/app-error';
import type { ErrorEnvelope } from '../../../common/http/error-envelope';
import { ApiKeyAuthenticator, AuthErrors, hasScope, presentedCredential } from '../../gateway';
import { SessionRepository, UserRepository } from '../../persistence';
import { BullMqQueues } from '../../queue/bullmq-queues';
import { QUEUE_BOARD_PATH, QueueBoardCookie } from './queue-board-cookie';

/** How far a request may go on the dashboard. */
type Access = 'read' | 'manage';

const READ_METHODS = new Set(['GET', 'HEAD']);

/**
 * Bull Board's own UI needs inline styles and data: images, so its pages get this policy;
 * scripts stay limited to its own files. Every other path keeps the strict default.
 */
const BOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Bull Board at /admin/queues on the web role, for admins only: a browser shows the signed
 * cookie the console sets at an admin's login; scripts send an API key with the `admin` scope.
 * The cookie only reads: a cookie rides along with any request the browser makes to this
 * path, so retrying or cleaning jobs needs the admin key itself in the request's headers.
 * Without BullMQ (the embedded in-process queue) the path answers 404 saying so.
 */
@Injectable()
export class QueueBoard implements OnModuleInit {
  constructor(
    private readonly http: HttpAdapterHost,
    private readonly bullMq: BullMqQueues,
    private readonly cookie: QueueBoardCookie,
    private readonly apiKeys: ApiKeyAuthenticator,
    private readonly sessions: SessionRepository,
    private readonly users: UserRepository,
  ) {}

  onModuleInit(): void {
    const fastify = this.http.httpAdapter.getInstance<FastifyInstance>();
    if (this.bullMq.queues.length === 0) {
      void fastify.register(async (scope) => scope.all('/*', unavailable), {
        prefix: QUEUE_BOARD_PATH,
      });
      void fastify.all(QUEUE_BOARD_PATH, unavailable);
      return;
    }
    const board = new FastifyAdapter();
    board.setBasePath(QUEUE_BOARD_PATH);
    createBullBoard({
      queues: this.bullMq.queues.map((queue) => new BullMQAdapter(queue)),
      serverAdapter: board,
      options: { uiConfig: { boardTitle: 'Vireo queues' } },
    });
    void fastify.register(
      async (scope) => {
        scope.addHook('onRequest', (request, reply) => this.admit(request, reply));
        scope.addHook('onSend', async (_request, reply, payload) => {
          void reply.header('content-security-policy', BOARD_CSP);
          return payload;
        });
        await scope.register(board.registerPlugin());
      },
      { prefix: QUEUE_BOARD_PATH },
    );
  }

  private async admit(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    try {
      const access = await this.accessOf(request);
      if (access === 'read' && !READ_METHODS.has(request.method)) {
        throw new AppError(
          HttpStatus.FORBIDDEN,
          'queue_board_read_only',
          'The dashboard cookie only reads: retrying or cleaning jobs needs an API key with the admin scope',
        );
      }
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      await reply
        .code(error.getStatus())
        .headers(error.headers)
        .send(envelope(request, error.code, error.message));
    }
  }

  private async accessOf(request: FastifyRequest): Promise<Access> {
    const credential = presentedCredential(request);
    switch (credential.kind) {
      case 'malformed':
        throw AuthErrors.malformed();
      case 'access_token':
        // Access tokens are for the API; the browser's way in is the cookie.
        throw AuthErrors.invalid();
      case 'api_key': {
        const principal = await this.apiKeys.authenticate(credential.key);
        if (!hasScope(principal, 'admin')) throw AuthErrors.insufficientScope(['admin']);
        return 'manage';
      }
      case 'none':
        return this.cookieAccess(request);
    }
  }

  /** The cookie's session must still stand and its user still be an admin. */
  private async cookieAccess(request: FastifyRequest): Promise<Access> {
    const sessionId = this.cookie.sessionIdFrom(request.headers.cookie);
    if (!sessionId) throw AuthErrors.missing();
    const session = await this.sessions.findById(sessionId);
    if (!session || session.revokedAt || session.expiresAt <= new Date()) {
      throw AuthErrors.revoked();
    }
    const user = await this.users.findById(session.userId);
    if (!user || user.disabledAt || !user.scopes.includes('admin')) {
      throw AuthErrors.insufficientScope(['admin']);
    }
    return 'read';
  }
}

function envelope(request: FastifyRequest, code: string, message: string): ErrorEnvelope {
  return { error: { code, message, requestId: String(request.id) } };
}

async function unavailable(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  await reply
    .code(HttpStatus.NOT_FOUND)
    .send(
      envelope(
        request,
        'queue_board_unavailable',
        'The queue dashboard needs BullMQ: set REDIS_URL (this deployment runs the in-process queue)',
      ),
    );
}
