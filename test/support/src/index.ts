export { NatsTestServer, natsServerBinary, type NatsServerOptions } from './nats-server.js';
export { freePort } from './free-port.js';
export { EchoOrigin, RawClient } from './udp.js';
export { scrape } from './scrape.js';
export { wrongSolutions } from './wrong-solutions.js';
export { testTimeout, timeoutScale } from './timeouts.js';
