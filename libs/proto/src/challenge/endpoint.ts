import { bytes16ToIp, ipToBytes16 } from '../events/ip.js';

/** One side of a UDP flow: a 16-byte address (IPv4-mapped for IPv4) and a port. */
export interface Endpoint {
  readonly address: Uint8Array;
  readonly port: number;
}

/** Text form used in JSON messages: `{ address: "203.0.113.7", port: 27015 }`. */
export interface EndpointText {
  address: string;
  port: number;
}

export function endpoint(address: string, port: number): Endpoint {
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) throw new RangeError(`bad port ${port}`);
  return { address: ipToBytes16(address), port };
}

export function endpointFromText(e: EndpointText): Endpoint {
  return endpoint(e.address, e.port);
}

export function endpointToText(e: Endpoint): EndpointText {
  return { address: bytes16ToIp(e.address), port: e.port };
}

/** A KV-safe key naming a protected service: 32 hex digits of the address, a dash, the port. */
export function serviceKey(target: Endpoint): string {
  let hex = '';
  for (const b of target.address) hex += b.toString(16).padStart(2, '0');
  return `${hex}-${target.port}`;
}
