import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { parseEdgeConfig } from './config.js';
import { Edge } from './edge.js';

const USAGE = `flowshield edge

  --config FILE   edge configuration (JSON): edgeId, nats.servers, replicaPath, metrics, engine, services[]
  --help          this text
`;

/** Entry of `bin/edge.js`: runs until SIGINT or SIGTERM, then stops cleanly. */
export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help || !values.config) {
    process.stdout.write(USAGE);
    return values.help ? 0 : 2;
  }
  const logger = pino({ name: 'flowshield-edge', level: process.env.LOG_LEVEL ?? 'info' });
  let edge: Edge;
  try {
    const config = parseEdgeConfig(JSON.parse(readFileSync(values.config, 'utf8')));
    edge = await Edge.start(config, { logger: logger.child({ edgeId: config.edgeId }) });
  } catch (err) {
    logger.fatal({ err: (err as Error).message }, 'edge did not start');
    return 1;
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await edge.stop();
  logger.info('edge stopped');
  return 0;
}
