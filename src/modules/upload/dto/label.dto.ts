import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsDefined,
  IsString,
  MaxLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { MAX_LABEL_LENGTH } from '../../../common/labels';

/** Items of one `POST /v1/labels`. */
export const MAX_LABEL_ITEMS = 1000;

const LABEL = {
  type: String,
  nullable: true,
  maxLength: MAX_LABEL_LENGTH,
  description: 'The ground-truth label (trimmed); null clears it.',
  example: 'cat',
} as const;

export class SetLabelDto {
  @ApiProperty(LABEL)
  @IsDefined({ message: 'label is required (null clears it)' })
  @ValidateIf((dto: SetLabelDto) => dto.label !== null)
  @IsString()
  label!: string | null;
}

export class LabelItemDto {
  @ApiProperty({ format: 'uuid' })
  @IsString()
  @MaxLength(100)
  imageId!: string;

  @ApiProperty(LABEL)
  @IsDefined({ message: 'label is required (null clears it)' })
  @ValidateIf((item: LabelItemDto) => item.label !== null)
  @IsString()
  label!: string | null;
}

export class SetLabelsDto {
  @ApiProperty({ type: [LabelItemDto], maxItems: MAX_LABEL_ITEMS })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_LABEL_ITEMS)
  @ValidateNested({ each: true })
  @Type(() => LabelItemDto)
  items!: LabelItemDto[];
}

export class LabelItemErrorResource {
  @ApiProperty({ example: 'image_not_found', enum: ['image_not_found', 'invalid_label'] })
  code!: string;

  @ApiProperty()
  message!: string;
}

export class LabelItemResultResource {
  @ApiProperty()
  imageId!: string;

  @ApiProperty({ type: String, nullable: true, description: 'The label now set, when ok.' })
  label!: string | null;

  @ApiProperty({ description: 'Whether this item was applied.' })
  ok!: boolean;

  @ApiProperty({ type: LabelItemErrorResource, required: false })
  error?: LabelItemErrorResource;
}

export class LabelResultsResource {
  @ApiProperty({ type: [LabelItemResultResource], description: 'One per item, in order.' })
  items!: LabelItemResultResource[];
}
