import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * The one HTTP endpoint of every service (edge, state, challenge): `GET /metrics` in Prometheus
 * text format and `GET /healthz`, 200 {"ready":true,…} only when the service is connected and
 * caught up (each service says what that means), else 503 {"ready":false,"reason":…}. Anything
 * else is 404. A probe never fails the service: a readiness check that throws is a 503.
 */

export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

/** A service's readiness: `reason` says what it waits for when not ready; other fields are details. */
export type Readiness = { ready: true; [detail: string]: unknown } | { ready: false; reason: string; [detail: string]: unknown };

export interface ServiceHttpOptions {
  host: string;
  /** 0 = any free port */
  port: number;
  metrics: MetricsSource;
  readiness: () => Readiness | Promise<Readiness>;
}

export interface ServiceHttp {
  readonly server: Server;
  readonly port: number;
  close(): Promise<void>;
}

const json = (status: number, body: unknown) => [status, { 'content-type': 'application/json' }, JSON.stringify(body) + '\n'] as const;

async function health(readiness: ServiceHttpOptions['readiness']): Promise<readonly [number, Record<string, string>, string]> {
  try {
    const r = await readiness();
    return json(r.ready ? 200 : 503, r);
  } catch (err) {
    return json(503, { ready: false, reason: `readiness check failed: ${(err as Error).message}` });
  }
}

export async function serveServiceHttp(options: ServiceHttpOptions): Promise<ServiceHttp> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || (path !== '/metrics' && path !== '/healthz')) {
      res.writeHead(404).end();
      return;
    }
    const answer: Promise<readonly [number, Record<string, string>, string]> = path === '/metrics'
      ? options.metrics.metrics().then((text) => [200, { 'content-type': options.metrics.contentType }, text] as const, (err: Error) => [500, {}, err.message] as const)
      : health(options.readiness);
    void answer.then(([status, headers, body]) => res.writeHead(status, headers).end(body));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
