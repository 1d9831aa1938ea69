import { Catch } from '@nestjs/common';
import type { RenderedError } from '../../../../common/http/error-envelope';
import { ErrorEnvelopeFilter } from '../../../../common/http/error-envelope.filter';

export const INFERENCE_PROTOCOL_PREFIX = '/v2';

/** The Open Inference Protocol's error body: `{ "error": "<message>" }`, nothing else. */
export function inferenceProtocolError({ message }: RenderedError): { error: string } {
  return { error: message };
}

/** What the `/v2` routes throw, with the envelope's status but in the protocol's shape. */
@Catch()
export class InferenceProtocolErrorFilter extends ErrorEnvelopeFilter {
  protected override body(rendered: RenderedError): { error: string } {
    return inferenceProtocolError(rendered);
  }
}
