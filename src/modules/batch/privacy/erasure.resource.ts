import { ApiProperty } from '@nestjs/swagger';

export class ErasureStartedResource {
  @ApiProperty({ description: 'The erasure record (kept, naming nobody once complete).' })
  erasureId!: string;
  @ApiProperty({ description: 'The `erase-account` batch run doing the work.' })
  runId!: string;
}
