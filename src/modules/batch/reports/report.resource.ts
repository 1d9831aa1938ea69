import { ApiProperty } from '@nestjs/swagger';

export class ReportLatencyResource {
  @ApiProperty({ type: Number, nullable: true }) p50!: number | null;
  @ApiProperty({ type: Number, nullable: true }) p95!: number | null;
  @ApiProperty({ type: Number, nullable: true }) p99!: number | null;
}

export class ModelVersionUseResource {
  @ApiProperty() model!: string;
  @ApiProperty() version!: number;
  @ApiProperty({ description: 'Predictions of this version stored that day.' })
  predictions!: number;
}

export class ReportRowResource {
  @ApiProperty({ example: '2026-12-01' }) day!: string;
  @ApiProperty({ enum: ['owner', 'global'], description: '`global`: every owner (admins only).' })
  scope!: 'owner' | 'global';
  @ApiProperty({ type: String, nullable: true }) ownerId!: string | null;
  @ApiProperty() uploads!: number;
  @ApiProperty() processed!: number;
  @ApiProperty({ description: '`total` and `byCode`.' })
  failed!: { total: number; byCode: Record<string, number> };
  @ApiProperty({
    type: ReportLatencyResource,
    description: 'Upload accepted -> predictions stored.',
  })
  latencyMs!: ReportLatencyResource;
  @ApiProperty({ description: 'Model -> top label -> images.' })
  labels!: Record<string, Record<string, number>>;
  @ApiProperty() quarantined!: number;
  @ApiProperty({ type: [ModelVersionUseResource] }) modelVersions!: ModelVersionUseResource[];
  @ApiProperty({ description: 'Bytes of the originals accepted that day still stored.' })
  storedBytes!: number;
  @ApiProperty() generatedAt!: Date;
}

export class ReportsResource {
  @ApiProperty() from!: string;
  @ApiProperty() to!: string;
  @ApiProperty({ type: [ReportRowResource] }) rows!: ReportRowResource[];
}
