import { Module } from '@nestjs/common';
import { Clock } from './clock';

/** One `Clock` for every module that imports this, so a test replaces it in one place. */
@Module({ providers: [Clock], exports: [Clock] })
export class ClockModule {}
