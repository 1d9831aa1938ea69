import fastifyMultipart from '@fastify/multipart';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyAdapter } from '@nestjs/platform-fastify';
import { AppConfig } from '../../../config';

/** Largest text field of any form: image metadata (checked to 4 KiB), a model's label list. */
export const MAX_FORM_FIELD_BYTES = 64 * 1024;

/**
 * Busboy's limits for forms. The file limit sits one byte above the largest file, so the
 * reader of a file (limited to `maxUploadBytes`) is the one that refuses a file too large,
 * before anything is stored.
 */
export function multipartLimits(maxUploadBytes: number) {
  return {
    fileSize: maxUploadBytes + 1,
    fieldSize: MAX_FORM_FIELD_BYTES,
    fields: 10,
    parts: 20,
    headerPairs: 100,
  };
}

/** Room for one part's headers (disposition, type, a filename) in a form's declared length. */
const PART_HEADER_BYTES = 1024;

/**
 * The longest body a form may declare: files of `maxUploadBytes` in all, every text field
 * full, every part's headers. A declared length past it is refused before a byte is read.
 */
export function maxFormBytes(maxUploadBytes: number): number {
  const limits = multipartLimits(maxUploadBytes);
  return maxUploadBytes + limits.fields * limits.fieldSize + limits.parts * PART_HEADER_BYTES;
}

/** Registers @fastify/multipart (through the adapter, which owns that plugin) for the web role. */
@Injectable()
export class MultipartSupport implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter as unknown as FastifyAdapter;
    // register() is typed for every kind of server, the plugin for HTTP/1 only.
    adapter.register(fastifyMultipart as Parameters<FastifyAdapter['register']>[0], {
      limits: multipartLimits(this.config.http.maxUploadBytes),
    });
  }
}
