import { ApiExtension } from '@nestjs/swagger';

/** The OpenAPI extension saying that a POST, PUT or PATCH route takes no body on purpose. */
export const NO_REQUEST_BODY = 'x-no-request-body';

/** Marks a POST, PUT or PATCH route that takes no body (the OpenAPI check asks for one otherwise). */
export const NoRequestBody = () => ApiExtension(NO_REQUEST_BODY, true);
