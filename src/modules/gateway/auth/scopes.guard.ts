import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { REQUIRED_SCOPES } from './auth.decorators';
import { AuthErrors } from './auth-errors';
import { hasScope, Principal, Scope } from './principal';

/** After authentication: the caller must hold every scope the route requires. */
@Injectable()
export class ScopesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const required = this.reflector.getAllAndOverride<Scope[] | undefined>(REQUIRED_SCOPES, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!required?.length) return true;
    const principal = context.switchToHttp().getRequest<{ user?: Principal }>().user;
    if (principal && required.every((scope) => hasScope(principal, scope))) return true;
    throw AuthErrors.insufficientScope(required);
  }
}
