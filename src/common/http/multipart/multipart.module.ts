import { Module } from '@nestjs/common';
import { MultipartSupport } from './multipart-support';

/** Multipart forms for every module that reads them; the plugin is registered once. */
@Module({ providers: [MultipartSupport] })
export class MultipartModule {}
