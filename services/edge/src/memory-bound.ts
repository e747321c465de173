import type { Logger } from 'pino';
import { STATUS_CACHE_BYTES, TOKEN_BUCKET_BYTES } from '@flowshield/vm';
import type { RateLimitedLog } from '@flowshield/service-log';
import { splitMemory, type EdgeConfig } from './config.js';
import { DRY_RUN_TABLE_BYTES } from './dry-run-state.js';

const MiB = 2 ** 20;
/**
 * Heap a packet worker may still commit once ready: its young generation, held at 6 MiB
 * (worker-pool.ts), and old-generation growth (bench/flood, 1M sources: at most 3 MiB a thread).
 */
export const PACKET_THREAD_HEAP_HEADROOM = 10 * MiB;
/**
 * The main thread's: its young generation is V8's default, two semi-spaces of up to 16 MiB on
 * 64-bit (bench/flood: 34 MiB right after the start-up compiles, 1 MiB under the flood), and old-generation growth.
 */
export const MAIN_THREAD_HEAP_HEADROOM = 40 * MiB;

/** What a ready edge may still grow by, whatever the number of sources. */
export interface MemoryAllowance {
  /** every service's per-source tables at their configured bytes, over every packet worker */
  tables: number;
  /** per program instance on a packet thread: fs_rate_limit's buckets, its status cache and a monitored deployment's dry-run shadow */
  instances: number;
  /** the threads' heap headroom */
  heap: number;
}

export function memoryAllowance(config: EdgeConfig, workers: number): MemoryAllowance {
  const perWorker = splitMemory(config, workers).services;
  const tables = workers * perWorker.reduce((n, s) => n + Object.values(s.memory).reduce((a, b) => a + b, 0), 0);
  const instances = workers * config.services.length * (TOKEN_BUCKET_BYTES + STATUS_CACHE_BYTES + 3 * DRY_RUN_TABLE_BYTES);
  // With one worker the main thread is the packet thread, its young generation left to V8.
  const heap = MAIN_THREAD_HEAP_HEADROOM + (workers > 1 ? workers * PACKET_THREAD_HEAP_HEADROOM : 0);
  return { tables, instances, heap };
}

const mib = (bytes: number) => Math.round((bytes / MiB) * 10) / 10;

/**
 * The edge's resident-memory bound. Armed once the edge is ready (its programs compiled and
 * instantiated): the bound is the configured `rssLimitBytes`, or what the edge takes then plus
 * its allowance. A configured limit below that is a refusal (readiness says why). Each sample
 * over the bound is counted and logged (rate-limited), so a bound that does not hold is seen.
 */
export class MemoryBound {
  bound: number | null = null;
  residentAtReady = 0;
  samplesOver = 0;
  /** why the configured limit cannot hold, or null */
  refusal: string | null = null;

  constructor(
    private readonly limit: number | null,
    readonly allowance: MemoryAllowance,
    private readonly logger: Logger,
    private readonly log: RateLimitedLog,
    private readonly resident: () => number = () => process.memoryUsage.rss(),
  ) {}

  get armed(): boolean {
    return this.bound !== null;
  }

  arm(): void {
    this.residentAtReady = this.resident();
    const { tables, instances, heap } = this.allowance;
    const needed = this.residentAtReady + tables + instances + heap;
    this.bound = this.limit ?? needed;
    const fields = { boundMiB: mib(this.bound), readyMiB: mib(this.residentAtReady), tablesMiB: mib(tables), instancesMiB: mib(instances), heapHeadroomMiB: mib(heap) };
    if (this.limit !== null && needed > this.limit) {
      this.refusal = `rssLimitBytes ${this.limit} (${mib(this.limit)} MiB) is below what this edge may take: ${mib(needed)} MiB `
        + `(${fields.readyMiB} ready + ${fields.tablesMiB} tables + ${fields.instancesMiB} per program instance + ${fields.heapHeadroomMiB} heap headroom); raise it, or lower services' memory or workers`;
      this.logger.error({ ...fields, neededMiB: mib(needed) }, this.refusal);
      return;
    }
    this.logger.info(fields, 'memory bound set');
  }

  sample(): void {
    if (this.bound === null) return;
    const now = this.resident();
    if (now <= this.bound) return;
    this.samplesOver++;
    this.log.warn('memory_over_bound', () => ({ residentMiB: mib(now), boundMiB: mib(this.bound!) }), 'resident memory over the edge\'s bound');
  }

  /** The process's peak resident memory since it started (getrusage), start-up included. */
  static peakResident(): number {
    return process.resourceUsage().maxRSS * 1024;
  }
}
