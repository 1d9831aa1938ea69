import { ApiProperty } from '@nestjs/swagger';

/** `$metadata_server_response`. */
export class ServerMetadataDto {
  @ApiProperty({ example: 'vireo' })
  name!: string;

  @ApiProperty({ example: '0.1.0' })
  version!: string;

  @ApiProperty({ type: [String], example: [] })
  extensions!: string[];
}
