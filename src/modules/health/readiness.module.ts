import { Global, Module } from '@nestjs/common';
import { ReadinessRegistry } from './readiness.registry';

/** Where modules register readiness checks; also in one-shot commands that serve no HTTP. */
@Global()
@Module({ providers: [ReadinessRegistry], exports: [ReadinessRegistry] })
export class ReadinessModule {}
