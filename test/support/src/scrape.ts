import { get } from 'node:http';

/**
 * GET /metrics on a fresh connection. fetch() keeps connections alive, and a scrape that lands as
 * the server closes an idle one fails with "other side closed" — a test failure that is only timing.
 */
export function scrape(port: number, path = '/metrics'): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { body += chunk; });
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`GET ${path} on port ${port}: HTTP ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}
