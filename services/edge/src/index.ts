export { Edge } from './edge.js';
export { parseEdgeConfig, type EdgeConfig, type ServiceConfig } from './config.js';
export { EdgeError, EdgeErrorCode } from './errors.js';
export { writePacket, address16, SYNTHETIC_TTL } from './packet-view.js';
export { main } from './main.js';
