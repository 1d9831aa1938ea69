import { Controller, Delete, HttpCode, HttpStatus, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AppError } from '../../common/app-error';
import { CurrentPrincipal, RequireScopes, type Principal } from '../gateway';
import { QueueBoardCookie } from './queue-board/queue-board-cookie';

/** What the console does at login and logout besides the API's tokens: the dashboard cookie. */
@ApiTags('console')
@ApiBearerAuth()
@Controller('console/session')
export class ConsoleSessionController {
  constructor(private readonly cookie: QueueBoardCookie) {}

  @Post()
  @HttpCode(HttpStatus.NO_CONTENT)
  @RequireScopes('admin')
  @ApiOperation({
    summary: 'Give this login session the queue dashboard cookie (admins, logged in).',
    description:
      'Sets a signed, HttpOnly, SameSite=Strict cookie for /admin/queues, valid while the ' +
      'login session is (logout ends it). 403 `session_required` for an API key.',
  })
  @ApiNoContentResponse()
  open(@CurrentPrincipal() principal: Principal, @Res({ passthrough: true }) reply: FastifyReply) {
    if (!principal.sessionId) {
      throw new AppError(
        HttpStatus.FORBIDDEN,
        'session_required',
        'The dashboard cookie goes with a login session, not an API key',
      );
    }
    void reply.header('set-cookie', this.cookie.issue(principal.sessionId));
  }

  @Delete()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Remove the queue dashboard cookie.' })
  @ApiNoContentResponse()
  close(@Res({ passthrough: true }) reply: FastifyReply) {
    void reply.header('set-cookie', this.cookie.clear());
  }
}
