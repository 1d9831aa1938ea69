import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-custom';
import { ApiKeyAuthenticator } from './api-key.authenticator';
import { AuthErrors } from './auth-errors';
import { Principal } from './principal';
import { presentedCredential } from './presented-credential';

@Injectable()
export class ApiKeyStrategy extends PassportStrategy(Strategy, 'api-key') {
  constructor(private readonly authenticator: ApiKeyAuthenticator) {
    super();
  }

  validate(request: FastifyRequest): Promise<Principal> {
    const credential = presentedCredential(request);
    if (credential.kind !== 'api_key') throw AuthErrors.missing();
    return this.authenticator.authenticate(credential.key);
  }
}
