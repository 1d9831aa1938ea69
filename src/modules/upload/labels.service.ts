import { Injectable } from '@nestjs/common';
import { AppError } from '../../common/app-error';
import { hasScope, Principal } from '../gateway';
import { ImageRecord, LabelAssignment, LabelRepository } from '../persistence';
import type { LabelItemDto, LabelItemResultResource } from './dto/label.dto';
import { checkLabel } from './image-metadata';
import { imageNotFound } from './upload-errors';

/**
 * Ground-truth labels users give their images back (what classifiers train on). An owner
 * labels their own images, an admin anyone's. Labelling is idempotent: the same label twice
 * changes nothing.
 */
@Injectable()
export class LabelsService {
  constructor(private readonly labels: LabelRepository) {}

  /** 404 `image_not_found` for an unknown or foreign image, 400 `invalid_label`. */
  async setLabel(caller: Principal, imageId: string, label: string | null): Promise<ImageRecord> {
    const checked = label === null ? null : checkLabel(label);
    const image = await this.labels.setLabel(imageId, checked, ownerScope(caller));
    if (!image) throw imageNotFound();
    return image;
  }

  /** Each item on its own: an unknown or foreign image, or a bad label, fails that item only. */
  async setLabels(caller: Principal, items: LabelItemDto[]): Promise<LabelItemResultResource[]> {
    const checked = items.map((item): CheckedItem => {
      try {
        const label = item.label === null ? null : checkLabel(item.label);
        return { imageId: item.imageId, label };
      } catch (error) {
        return { imageId: item.imageId, error: error as AppError };
      }
    });
    const valid = checked.filter((item): item is LabelAssignment => !('error' in item));
    const found = await this.labels.setLabels(valid, ownerScope(caller));
    const applied = lastAssignments(valid);
    return checked.map((item): LabelItemResultResource => {
      if ('error' in item) return failed(item.imageId, item.error);
      if (!found.has(item.imageId)) return failed(item.imageId, imageNotFound());
      return { imageId: item.imageId, label: applied.get(item.imageId) ?? null, ok: true };
    });
  }
}

type CheckedItem = LabelAssignment | { imageId: string; error: AppError };

/** An admin labels any image; everyone else their own. */
function ownerScope(caller: Principal): string | undefined {
  return hasScope(caller, 'admin') ? undefined : caller.ownerId;
}

/** What each image ends up labelled with: its last assignment. */
function lastAssignments(assignments: LabelAssignment[]): Map<string, string | null> {
  return new Map(assignments.map(({ imageId, label }) => [imageId, label]));
}

function failed(imageId: string, error: AppError): LabelItemResultResource {
  return { imageId, label: null, ok: false, error: { code: error.code, message: error.message } };
}
