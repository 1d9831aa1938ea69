import { ApiProperty } from '@nestjs/swagger';

/** `$live_server_response`. */
export class ServerLiveDto {
  @ApiProperty()
  live!: boolean;
}

/** `$ready_server_response`: 200 when every production model can answer, else 503. */
export class ServerReadyDto {
  @ApiProperty()
  ready!: boolean;
}

/** `$ready_model_response`: 200 when ready, else 503. */
export class ModelReadyDto {
  @ApiProperty({ example: 'moderation' })
  name!: string;

  @ApiProperty()
  ready!: boolean;
}
