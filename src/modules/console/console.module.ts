import { Module } from '@nestjs/common';
import { GatewayModule } from '../gateway';
import { PersistenceModule } from '../persistence';
import { ConsoleAssets } from './console-assets';
import { ConsoleSessionController } from './console-session.controller';
import { ConsoleController } from './console.controller';
import { QueueBoard } from './queue-board/queue-board';
import { QueueBoardCookie } from './queue-board/queue-board-cookie';
import { QueueModule } from '../queue/queue.module';

/**
 * The web console (`/console`, built by `npm run build` from `ui/`) and the queue dashboard
 * (`/admin/queues`), both on the web role.
 */
@Module({
  imports: [GatewayModule, PersistenceModule, QueueModule],
  controllers: [ConsoleController, ConsoleSessionController],
  providers: [ConsoleAssets, QueueBoardCookie, QueueBoard],
})
export class ConsoleModule {}
