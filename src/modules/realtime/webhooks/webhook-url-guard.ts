import { HttpStatus } from '@nestjs/common';
import ipaddr from 'ipaddr.js';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { AppError } from '../../../common/app-error';

/**
 * Refuses webhook URLs that are not http(s), or whose host resolves to an address that is not
 * public unicast (loopback, private, link-local and the cloud metadata address, unique-local,
 * ...), unless private addresses are allowed. The same rule is applied again when each
 * delivery connects (request-filtering-agent), which catches DNS answers that change.
 */
export async function assertWebhookUrl(raw: string, allowPrivate: boolean): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalidUrl('The webhook URL is not a valid absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalidUrl('Webhook URLs must be http or https');
  }
  if (url.username || url.password) throw invalidUrl('Webhook URLs may not carry credentials');
  if (allowPrivate) return url;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [host] : await resolve(host);
  const blocked = addresses.find((address) => ipaddr.parse(address).range() !== 'unicast');
  if (blocked) {
    throw new AppError(
      HttpStatus.UNPROCESSABLE_ENTITY,
      'webhook_url_forbidden',
      `The webhook URL resolves to ${blocked}, which is not a public address`,
    );
  }
  return url;
}

async function resolve(host: string): Promise<string[]> {
  try {
    return (await lookup(host, { all: true })).map((entry) => entry.address);
  } catch (error) {
    throw new AppError(
      HttpStatus.UNPROCESSABLE_ENTITY,
      'webhook_url_unresolvable',
      `The webhook URL's host does not resolve: ${(error as Error).message}`,
    );
  }
}

function invalidUrl(message: string): AppError {
  return new AppError(HttpStatus.UNPROCESSABLE_ENTITY, 'webhook_url_invalid', message);
}
