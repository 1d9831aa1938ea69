export * from './app-config';
export * from './config.module';
export { SETTINGS } from './settings';
export * from './load-config';
export * from './signing-secret';
