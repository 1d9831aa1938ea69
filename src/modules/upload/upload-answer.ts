import { HttpStatus } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { UploadedImageResource } from './dto/image.resource';
import { UploadOutcome } from './duplicate-images';
import { ImagePresenter } from './image-presenter';

/** 202 for an image accepted for processing, 200 for the owner's existing duplicate. */
export async function answerUpload(
  outcome: UploadOutcome,
  presenter: ImagePresenter,
  reply: FastifyReply,
): Promise<UploadedImageResource> {
  reply.status(outcome.duplicate ? HttpStatus.OK : HttpStatus.ACCEPTED);
  return { ...(await presenter.present(outcome.image)), duplicate: outcome.duplicate };
}
