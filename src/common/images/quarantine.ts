import type { HttpStatus } from '@nestjs/common';
import { AppError } from '../app-error';

/** 451 Unavailable For Legal Reasons (RFC 7725); Nest's HttpStatus has no name for it. */
const UNAVAILABLE_FOR_LEGAL_REASONS = 451 as HttpStatus;

/** A quarantined image's bytes go to admins only. */
export function assertReleasable(image: { quarantined: boolean }, admin: boolean): void {
  if (image.quarantined && !admin) throw imageQuarantined();
}

export function imageQuarantined(): AppError {
  return new AppError(
    UNAVAILABLE_FOR_LEGAL_REASONS,
    'image_quarantined',
    'This image was quarantined by the moderation policy',
  );
}
