import { Module } from '@nestjs/common';
import { ModelModule } from '../../model';
import { BatchCoreModule } from '../batch-core.module';
import { ClassifierTraining } from './classifier-training.service';
import { TrainClassifierJob } from './train-classifier.job';

/** The `train-classifier` batch job and the training service behind it. */
@Module({
  imports: [ModelModule, BatchCoreModule],
  providers: [ClassifierTraining, TrainClassifierJob],
})
export class TrainingModule {}
