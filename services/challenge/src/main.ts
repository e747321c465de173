import { createServer, type Server } from 'node:http';
import { pino } from 'pino';
import { configFromEnv } from './config.js';
import { ChallengeMetrics } from './metrics.js';
import { ChallengeService } from './service.js';

/** The runnable service: config from the environment, pino logs, /metrics over HTTP, clean stop on signals. */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const log = pino({ name: 'challenge', level: env.LOG_LEVEL || 'info' });
  let config;
  try {
    config = configFromEnv(env);
  } catch (err) {
    log.fatal({ code: (err as { code?: string }).code, reason: (err as Error).message }, 'bad configuration');
    process.exitCode = 2;
    return;
  }
  if (config.ephemeralMasterKey) log.warn('no master key configured: using a random one; outstanding challenges and tokens die with this process');
  const metrics = new ChallengeMetrics({ defaultMetrics: true });
  const service = await ChallengeService.start({
    servers: config.natsUrl, masterKey: config.masterKey, logger: log, metrics,
    epochSeconds: config.epochSeconds, validitySeconds: config.validitySeconds, signingKeyId: config.signingKeyId,
  });
  let http: Server | null = null;
  if (config.metricsPort > 0) {
    http = createServer((req, res) => {
      if (req.url !== '/metrics') { res.writeHead(404).end(); return; }
      metrics.registry.metrics().then((text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text), () => res.writeHead(500).end());
    });
    await new Promise<void>((resolve, reject) => { http!.once('error', reject); http!.listen(config.metricsPort, config.metricsHost, resolve); });
  }
  log.info({ nats: config.natsUrl, metrics: http ? `http://${config.metricsHost}:${config.metricsPort}/metrics` : null }, 'challenge service ready');
  const stop = async (signal: string) => {
    log.info({ signal }, 'stopping');
    http?.close();
    await service.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}
