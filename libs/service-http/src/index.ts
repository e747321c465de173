export { serveServiceHttp, type MetricsSource, type Readiness, type ServiceHttp, type ServiceHttpOptions } from './serve.js';
