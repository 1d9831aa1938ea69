import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { Principal, Scope } from './principal';

export const REQUIRED_SCOPES = 'vireo:scopes';

/** The caller needs every one of these scopes (`admin` holds them all). */
export const RequireScopes = (...scopes: Scope[]) => SetMetadata(REQUIRED_SCOPES, scopes);

/** The authenticated caller of this request. */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal =>
    context.switchToHttp().getRequest<{ user: Principal }>().user,
);
