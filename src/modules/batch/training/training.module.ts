import { Module } from '@nestjs/common';
import { ModelModule } from '../../model';
import { PersistenceModule } from '../../persistence';
import { BatchCoreModule } from '../batch-core.module';
import { ClassifierTraining } from './classifier-training.service';
import { TrainClassifierJob } from './train-classifier.job';
import { StorageModule } from '../../storage/storage.module';

/** The `train-classifier` batch job and the training service behind it. */
@Module({
  imports: [ModelModule, BatchCoreModule, PersistenceModule, StorageModule],
  providers: [ClassifierTraining, TrainClassifierJob],
})
export class TrainingModule {}
