import { DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig } from './app-config';
import { SigningSecret } from './signing-secret';

@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [
        { provide: AppConfig, useValue: config },
        { provide: SigningSecret, useFactory: () => SigningSecret.resolve(config) },
      ],
      exports: [AppConfig, SigningSecret],
    };
  }
}
