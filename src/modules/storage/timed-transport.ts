import * as http from 'node:http';
import * as https from 'node:https';

/** An HTTP(S) connection pool whose requests fail after `idleTimeoutMs` without traffic. */
export class TimedTransport {
  readonly agent: http.Agent;
  private readonly protocol: typeof http | typeof https;

  constructor(
    secure: boolean,
    private readonly idleTimeoutMs: number,
  ) {
    this.protocol = secure ? https : http;
    this.agent = new this.protocol.Agent({ keepAlive: true, timeout: idleTimeoutMs });
  }

  // A socket timeout only emits 'timeout'; without destroying the request it hangs forever.
  readonly request: typeof http.request = ((...args: Parameters<typeof http.request>) => {
    const request = (this.protocol.request as typeof http.request)(...args);
    request.setTimeout(this.idleTimeoutMs, () =>
      request.destroy(new Error(`No response from storage within ${this.idleTimeoutMs} ms`)),
    );
    return request;
  }) as typeof http.request;

  close(): void {
    this.agent.destroy();
  }
}
