import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { PUBLIC_ROUTE, PublicRoute } from '../../../common/http/public.decorator';
import { AppConfig } from '../../../config';
import { AuthErrors } from './auth-errors';
import { ApiKeyAuthenticator } from './api-key.authenticator';
import { presentedCredential } from './presented-credential';
import type { Principal } from './principal';

/** passport-jwt reports why a token failed in `info`; turn that into our error codes. */
function failingWithOurCodes(strategy: string) {
  return class extends AuthGuard(strategy) {
    override handleRequest<TUser>(error: unknown, user: TUser, info: unknown): TUser {
      if (error) throw error;
      if (user) return user;
      throw (info as Error | undefined)?.name === 'TokenExpiredError'
        ? AuthErrors.expired()
        : AuthErrors.invalid();
    }
  };
}

/**
 * Every route needs a credential unless it is marked `@Public()`. `vir_...` API keys are
 * checked directly: passport's per-request machinery cost a fifth of the throughput of an
 * API-key route (bench/gateway.ts). Anything else is a JWT access token, for passport-jwt.
 */
@Injectable()
export class CredentialsGuard implements CanActivate {
  private readonly accessTokenGuard = new (failingWithOurCodes('jwt'))();

  constructor(
    private readonly reflector: Reflector,
    private readonly config: AppConfig,
    private readonly apiKeys: ApiKeyAuthenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.isPublic(context)) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: Principal }>();
    const credential = presentedCredential(request);
    switch (credential.kind) {
      case 'none':
        throw AuthErrors.missing();
      case 'malformed':
        throw AuthErrors.malformed();
      case 'api_key':
        request.user = await this.apiKeys.authenticate(credential.key);
        return true;
      case 'access_token':
        return (await this.accessTokenGuard.canActivate(context)) as boolean;
    }
  }

  private isPublic(context: ExecutionContext): boolean {
    const route = this.reflector.getAllAndOverride<PublicRoute | undefined>(PUBLIC_ROUTE, [
      context.getHandler(),
      context.getClass(),
    ]);
    return route === true || (route !== undefined && this.config.auth[route.whenSetting]);
  }
}
