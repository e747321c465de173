import { serveServiceHttp, type ServiceHttp } from '@flowshield/service-http';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { configFromEnv } from './config.js';
import { ChallengeMetrics } from './metrics.js';
import { ChallengeService } from './service.js';

const USAGE = `flowshield challenge service: key ring, key distribution, issue/verify API, tokens, difficulty

  --creds FILE      NATS credentials of the challenge role: .creds or nkey seed file (env NATS_CREDS)
  --tls-ca FILE     CA of the NATS server's TLS certificate (env NATS_TLS_CA)

Other settings come from the environment:
  NATS_URL                                  default nats://127.0.0.1:4222
  FLOWSHIELD_CHALLENGE_MASTER_KEY_FILE      file holding the master secret as hex (preferred)
  FLOWSHIELD_CHALLENGE_MASTER_KEY           the master secret as hex (at least 64 hex digits)
  FLOWSHIELD_CHALLENGE_METRICS_PORT         Prometheus port (default 9464; 0 = off)
  FLOWSHIELD_CHALLENGE_METRICS_HOST         default 127.0.0.1
  FLOWSHIELD_CHALLENGE_EPOCH_SECONDS        default 60
  FLOWSHIELD_CHALLENGE_VALIDITY_SECONDS     default 30
  FLOWSHIELD_CHALLENGE_SIGNING_KEY_ID       default 1
  LOG_LEVEL                                 pino level, default info
`;

/** The runnable service: config from the environment, pino logs, /metrics over HTTP, clean stop on signals. */
export async function main(env: NodeJS.ProcessEnv = process.env, argv: string[] = process.argv.slice(2)): Promise<void> {
  let flags;
  try {
    ({ values: flags } = parseArgs({ args: argv, options: { creds: { type: 'string' }, 'tls-ca': { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true }));
  } catch (err) {
    process.stderr.write(`challenge: ${(err as Error).message}; other settings come from the environment (--help)\n`);
    process.exitCode = 2;
    return;
  }
  if (flags.help) {
    process.stdout.write(USAGE);
    return;
  }
  // Flags win over the environment, as in the other services.
  if (flags.creds !== undefined) env = { ...env, NATS_CREDS: flags.creds };
  if (flags['tls-ca'] !== undefined) env = { ...env, NATS_TLS_CA: flags['tls-ca'] };
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
  // A signal while NATS is still awaited ends the wait; after start it stops the service in order.
  const starting = new AbortController();
  let stopNow: (signal: string) => void = () => starting.abort();
  process.once('SIGINT', () => stopNow('SIGINT'));
  process.once('SIGTERM', () => stopNow('SIGTERM'));
  let service: ChallengeService;
  try {
    service = await ChallengeService.start({
      servers: config.natsUrl, creds: config.natsCreds, tlsCa: config.natsTlsCa, masterKey: config.masterKey, logger: log, metrics,
      epochSeconds: config.epochSeconds, validitySeconds: config.validitySeconds, signingKeyId: config.signingKeyId, signal: starting.signal,
    });
  } catch (err) {
    if (starting.signal.aborted) process.exit(0);
    throw err;
  }
  let http: ServiceHttp | null = null;
  if (config.metricsPort > 0) {
    http = await serveServiceHttp({ host: config.metricsHost, port: config.metricsPort, metrics: metrics.registry, readiness: () => service.readiness() });
  }
  log.info({ nats: config.natsUrl, metrics: http ? `http://${config.metricsHost}:${config.metricsPort}/metrics` : null }, 'challenge service ready');
  stopNow = (signal: string) => {
    log.info({ signal }, 'stopping');
    void (async () => {
      await http?.close();
      await service.stop();
      process.exit(0);
    })();
  };
}
