import { Controller, Get, HttpStatus, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AppError } from '../../common/app-error';
import { Public } from '../../common/http/public.decorator';
import { AppConfig } from '../../config';
import { ConsoleAssets } from './console-assets';
import { consoleContentSecurityPolicy } from './console-csp';

/** The web console: one document and its bundle, public (the API calls need a login). */
@ApiExcludeController()
@Public()
@Controller('console')
export class ConsoleController {
  private readonly csp: string;

  constructor(
    private readonly assets: ConsoleAssets,
    config: AppConfig,
  ) {
    this.csp = consoleContentSecurityPolicy(config);
  }

  @Get()
  page(@Res() reply: FastifyReply): void {
    this.send('index.html', reply);
  }

  @Get(':file')
  file(@Param('file') file: string, @Res() reply: FastifyReply): void {
    this.send(file, reply);
  }

  private send(name: string, reply: FastifyReply): void {
    const asset = this.assets.get(name);
    if (!asset) {
      throw new AppError(HttpStatus.NOT_FOUND, 'not_found', `No console file ${name}`);
    }
    void reply
      .header('content-type', asset.contentType)
      .header('content-security-policy', this.csp)
      .header('cache-control', 'no-cache')
      .send(asset.body);
  }
}
