import { Injectable, Logger } from '@nestjs/common';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';

/** Where `npm run build` (scripts/build-console.mjs) writes the console, beside this module. */
export const CONSOLE_ASSETS_DIR = join(__dirname, 'public');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

export interface ConsoleAsset {
  body: Buffer;
  contentType: string;
}

/**
 * The built console, read once at boot: a few small files, so serving them from memory
 * needs no static-file plugin. Empty when the console was not built (`nest start` alone).
 */
@Injectable()
export class ConsoleAssets {
  private readonly logger = new Logger('Console');
  private readonly files = new Map<string, ConsoleAsset>();

  constructor() {
    if (!existsSync(CONSOLE_ASSETS_DIR)) {
      this.logger.warn(`No console at ${CONSOLE_ASSETS_DIR}: run npm run build`);
      return;
    }
    for (const name of readdirSync(CONSOLE_ASSETS_DIR)) {
      const contentType = CONTENT_TYPES[extname(name)];
      if (contentType) {
        this.files.set(name, { body: readFileSync(join(CONSOLE_ASSETS_DIR, name)), contentType });
      }
    }
  }

  get(name: string): ConsoleAsset | undefined {
    return this.files.get(name);
  }
}
