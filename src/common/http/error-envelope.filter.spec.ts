import { ArgumentsHost, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../app-error';
import { ErrorEnvelopeFilter } from './error-envelope.filter';

describe('ErrorEnvelopeFilter', () => {
  beforeAll(() => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });

  afterAll(() => jest.restoreAllMocks());

  /** Runs the filter on `exception`; the status and body it answered with. */
  function answerTo(exception: unknown): { status: number; body: unknown } {
    const sent: { status: number; body: unknown } = { status: 0, body: undefined };
    const reply = {
      status: (status: number) => ((sent.status = status), reply),
      headers: () => reply,
      type: () => reply,
      send: (body: unknown) => void (sent.body = body),
    };
    const request = { id: 'req-1', url: '/v1/models/x' } as FastifyRequest;
    const host = {
      switchToHttp: () => ({
        getRequest: () => request,
        getResponse: () => reply as unknown as FastifyReply,
      }),
    } as ArgumentsHost;
    new ErrorEnvelopeFilter().catch(exception, host);
    return sent;
  }

  it('answers an unreachable dependency with 503 dependency_unavailable', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
      code: 'ECONNREFUSED',
    });
    expect(answerTo(refused)).toMatchObject({
      status: HttpStatus.SERVICE_UNAVAILABLE,
      body: { error: { code: 'dependency_unavailable' } },
    });
  });

  it('keeps an answer chosen on purpose whose message quotes input that reads like an outage', () => {
    const notFound = new AppError(
      HttpStatus.NOT_FOUND,
      'model_not_found',
      'No model named socket hang up',
    );
    expect(answerTo(notFound)).toMatchObject({
      status: HttpStatus.NOT_FOUND,
      body: { error: { code: 'model_not_found' } },
    });
  });
});
