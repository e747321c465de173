import { pino } from 'pino';
import { parseStateConfig, stateUsage } from './config.js';
import { StateService } from './service.js';

/** Process entry: configuration from flags and environment, graceful stop on SIGTERM/SIGINT. */
export async function runStateMain(argv: string[]): Promise<void> {
  let config;
  try {
    config = parseStateConfig(argv);
  } catch (err) {
    process.stderr.write(`flowshield-state: ${(err as Error).message}\n${stateUsage()}`);
    process.exitCode = 2;
    return;
  }
  if (config === 'help') {
    process.stdout.write(stateUsage());
    return;
  }
  const logger = pino({ level: config.logLevel, base: { service: 'state', replica: config.replicaId } });
  const service = new StateService(config, logger);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    service.stop().then(() => process.exit(0), (err: Error) => {
      logger.error({ err: err.message }, 'stop failed');
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  try {
    await service.start();
  } catch (err) {
    logger.fatal({ err: (err as Error).message, code: (err as { code?: string }).code }, 'state service failed to start');
    await service.stop().catch(() => undefined);
    process.exit(1);
  }
}
