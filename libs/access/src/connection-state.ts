import type { NatsConnection } from '@nats-io/transport-node';

/**
 * Whether a client connection is up now: false from a disconnect until the client's reconnect
 * (and for good once closed). What a service's /healthz reports as "connected to NATS".
 */
export function followConnection(nc: NatsConnection): { readonly connected: boolean } {
  const state = { up: true, get connected() { return this.up && !nc.isClosed(); } };
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') state.up = false;
      else if (status.type === 'reconnect') state.up = true;
    }
  })().catch(() => undefined);
  return state;
}
