import { Module } from '@nestjs/common';
import { ModelModule } from '../../model';
import { PersistenceModule } from '../../persistence';
import { BatchCoreModule } from '../batch-core.module';
import { ClassifierTraining } from './classifier-training.service';
import { TrainClassifierJob } from './train-classifier.job';
import { StorageModule } from '../../storage/storage.module';
import { TrainingPlanner } from './training-planner';

/** The `train-classifier` batch job, the training service behind it, and its planner. */
@Module({
  imports: [ModelModule, BatchCoreModule, PersistenceModule, StorageModule],
  providers: [ClassifierTraining, TrainClassifierJob, TrainingPlanner],
})
export class TrainingModule {}
