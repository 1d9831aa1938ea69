export { RealtimeModule } from './realtime.module';
export { RealtimeWorkerModule } from './realtime-worker.module';
