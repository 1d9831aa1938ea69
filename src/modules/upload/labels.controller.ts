import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RateLimit, RequireScopes } from '../gateway';
import type { Principal } from '../gateway';
import { LabelResultsResource, MAX_LABEL_ITEMS, SetLabelsDto } from './dto/label.dto';
import { LabelsService } from './labels.service';

@ApiTags('images')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('v1/labels')
export class LabelsController {
  constructor(private readonly labels: LabelsService) {}

  @Post()
  @HttpCode(HttpStatus.OK)
  @RequireScopes('images:write')
  @RateLimit('uploads')
  @ApiOperation({
    summary: 'Label many images at once (null clears a label), with a result per item',
    description:
      `1-${MAX_LABEL_ITEMS} items. An unknown or foreign image (\`image_not_found\`) or a ` +
      'bad label (`invalid_label`) fails its own item only; the others are applied. The ' +
      'last item of an image wins. Idempotent.',
  })
  @ApiOkResponse({ type: LabelResultsResource })
  async setLabels(
    @CurrentPrincipal() principal: Principal,
    @Body() body: SetLabelsDto,
  ): Promise<LabelResultsResource> {
    return { items: await this.labels.setLabels(principal, body.items) };
  }
}
