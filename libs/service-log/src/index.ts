export { RateLimitedLog } from './rate-limited-log.js';
