import {
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Inject,
  Param,
  StreamableFile,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { AppError } from '../../../common/app-error';
import {
  CurrentPrincipal,
  RateLimit,
  RequireScopes,
  hasScope,
  type Principal,
} from '../../gateway';
import { ErasureRequester } from '../../persistence';
import { BatchLauncher } from '../batch-launcher';
import { AccountErasureService } from './account-erasure.service';
import { AccountExportService } from './account-export.service';
import { ErasureStartedResource } from './erasure.resource';

/** GDPR: a user's data out (export) and gone (erasure). */
@ApiTags('privacy')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller()
export class PrivacyController {
  constructor(
    private readonly exports: AccountExportService,
    private readonly erasure: AccountErasureService,
    @Inject(BatchLauncher) private readonly launcher: BatchLauncher,
  ) {}

  @Get('v1/me/export')
  @RequireScopes('images:read')
  @RateLimit('reads')
  @ApiOperation({
    summary: 'Everything of yours as a ZIP, streamed',
    description:
      '`account.json`, `webhooks.json` (without secrets), `labels.json`, and per image ' +
      '`images/<id>.json` (the image, its label and predictions) and `originals/<id>` (its bytes).',
  })
  @ApiProduces('application/zip')
  @ApiOkResponse({ description: 'A ZIP archive.', schema: { type: 'string', format: 'binary' } })
  export(@CurrentPrincipal() principal: Principal): StreamableFile {
    return new StreamableFile(this.exports.export(principal.ownerId), {
      type: 'application/zip',
      disposition: 'attachment; filename="vireo-export.zip"',
    });
  }

  @Delete('v1/me')
  @HttpCode(HttpStatus.ACCEPTED)
  @RateLimit('uploads')
  @ApiOperation({
    summary: 'Erase your account and everything in it',
    description:
      'Needs a login session or the admin scope (403 `session_required`): a key alone cannot ' +
      'erase an account. Every key and session stops working at once; an `erase-account` batch ' +
      'run removes images, objects, predictions, embeddings, webhooks, stats and reports, then ' +
      'the user. A retry resumes an unfinished erasure. 409 `last_admin` when no other enabled ' +
      'admin would be left.',
  })
  @ApiAcceptedResponse({ type: ErasureStartedResource })
  eraseSelf(@CurrentPrincipal() principal: Principal): Promise<ErasureStartedResource> {
    if (principal.kind !== 'user' && !hasScope(principal, 'admin')) {
      throw new AppError(
        HttpStatus.FORBIDDEN,
        'session_required',
        'Erasing an account needs a login session or the admin scope',
      );
    }
    // The run records no requester: it would name the user it erases.
    return this.start(principal.ownerId, 'self', 'system');
  }

  @Delete('v1/admin/users/:id')
  @RequireScopes('admin')
  @HttpCode(HttpStatus.ACCEPTED)
  @RateLimit('uploads')
  @ApiOperation({
    summary: 'Erase a user and everything of theirs',
    description:
      'As `DELETE /v1/me`, for any user; 404 `user_not_found`; 409 `last_admin` for the last ' +
      'enabled admin. Calling it again resumes an erasure that did not finish (a crash midway).',
  })
  @ApiAcceptedResponse({ type: ErasureStartedResource })
  eraseUser(
    @Param('id') id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ErasureStartedResource> {
    const self = id === principal.ownerId;
    return this.start(id, 'admin', self ? 'system' : `${principal.kind}:${principal.id}`);
  }

  private async start(
    userId: string,
    requester: ErasureRequester,
    requestedBy: string,
  ): Promise<ErasureStartedResource> {
    const erasure = await this.erasure.begin(userId, requester);
    const run = await this.launcher.start(
      'erase-account',
      { erasureId: erasure.id },
      { requestedBy },
    );
    return { erasureId: erasure.id, runId: run.id };
  }
}
