import { SetMetadata } from '@nestjs/common';
import type { AppConfig } from '../../config';

export const PUBLIC_ROUTE = 'vireo:public';

type AuthSwitch = {
  [K in keyof AppConfig['auth']]-?: AppConfig['auth'][K] extends boolean ? K : never;
}[keyof AppConfig['auth']];

/** Marks a route as public: always (`true`), or while the named auth setting is on. */
export type PublicRoute = true | { whenSetting: AuthSwitch };

/** Serves without credentials (health, metrics, signed URLs, login). */
export const Public = (when: PublicRoute = true) => SetMetadata(PUBLIC_ROUTE, when);
