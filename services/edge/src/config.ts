import { availableParallelism } from 'node:os';
import { isIP } from 'node:net';
import { MAX_PROGRAM_BUDGET, isNameToken, isTenantName, publicKeyFromText } from '@flowshield/proto';
import { EdgeError, EdgeErrorCode } from './errors.js';

/** One protected service: where the edge listens, where it relays to, and its limits. */
export interface ServiceConfig {
  tenant: string;
  listen: { host: string; port: number };
  origin: { host: string; port: number };
  /**
   * The destination programs see (and challenges are bound to): the address clients send to, which
   * differs from the listen address behind NAT, a load balancer or in tests. Default: the listen address.
   */
  public: { host: string | null; port: number | null };
  /**
   * client sessions relayed to the origin: as many as `memory.sessionsBytes` holds (and at most
   * `max` when set), closed after `idleSeconds`
   */
  sessions: { max: number | null; idleSeconds: number; maxPerAddress: number };
  /** byte budgets of this service's per-source tables, for the whole edge: split evenly over the packet workers (README "Memory") */
  memory: MemoryConfig;
  /** the puzzle issued until the challenge service sets a difficulty */
  challenges: { difficultyBits: number; subPuzzles: number };
  /** token buckets on what the edge sends to sources (which may be spoofed victims) */
  limits: ServiceLimits;
  /** verdict while no program is deployed, or when the program fails */
  failVerdict: 'pass' | 'drop';
  /** this tenant's fraction of `programLimits.cpuMsPerSecond` (default: an equal share) */
  cpuShare: number;
}

/** Byte budgets of one service's per-source tables; each table's capacity is derived from its budget. */
export interface MemoryConfig {
  /** clients by address and port (about 58 bytes each) */
  sessionsBytes: number;
  /** this edge's own status transitions by IP, the overlay (about 57 bytes each) */
  statusBytes: number;
  /** programs' per-IP data (about 48 bytes each) */
  ipDataBytes: number;
  /** programs' per-flow data (about 64 bytes each) */
  flowDataBytes: number;
}

/**
 * One packet worker's share of the edge's configured memory: each service's table budgets (and a
 * `sessions.max`) divided evenly over `workers`, so the configured bound holds for the process.
 */
export function splitMemory(config: EdgeConfig, workers: number): EdgeConfig {
  if (workers <= 1) return config;
  return {
    ...config,
    services: config.services.map((s) => ({
      ...s,
      sessions: { ...s.sessions, max: s.sessions.max === null ? null : Math.max(1, Math.ceil(s.sessions.max / workers)) },
      memory: Object.fromEntries(Object.entries(s.memory).map(([k, v]) => [k, Math.max(MIN_TABLE_BYTES, Math.floor(v / workers))])) as unknown as MemoryConfig,
    })),
  };
}

const MiB = 1024 * 1024;
/** Defaults: 32 MiB of tables per service, whatever the number of packet workers (README "Memory"). */
export const DEFAULT_MEMORY: MemoryConfig = { sessionsBytes: 16 * MiB, statusBytes: 8 * MiB, ipDataBytes: 4 * MiB, flowDataBytes: 4 * MiB };
/** The smallest and largest budget a table accepts. */
const MIN_TABLE_BYTES = 4096;
const MAX_TABLE_BYTES = 4096 * MiB;
/** Below this no edge starts (Node and the VM alone take more). */
const MIN_RSS_LIMIT_BYTES = 64 * MiB;

export interface Rate {
  perSecond: number;
  burst: number;
}

/** Per source address, per source prefix, per protected prefix (target). */
export interface LimitSet {
  perSource: Rate;
  perPrefix: Rate;
  perTarget: Rate;
}

export interface ServiceLimits {
  /** standard and custom challenges (helpers 10 and 64) */
  challenges: LimitSet;
  /** custom replies (helper 68) */
  replies: LimitSet;
  /**
   * verified tokens checked (an Ed25519 signature each, ~0.1 ms): a flood of forged tokens from
   * spoofed sources would otherwise spend a packet thread on them; one over the limit is dropped
   * unchecked (the client can still solve the challenge)
   */
  tokens: LimitSet;
  /** prefix lengths of the per-prefix and per-target buckets */
  prefixBits: { v4: number; v6: number };
}

/** Defaults (services/edge/README.md lists them). */
export const DEFAULT_LIMITS: ServiceLimits = {
  challenges: { perSource: { perSecond: 2, burst: 4 }, perPrefix: { perSecond: 64, burst: 256 }, perTarget: { perSecond: 20_000, burst: 40_000 } },
  replies: { perSource: { perSecond: 4, burst: 8 }, perPrefix: { perSecond: 64, burst: 256 }, perTarget: { perSecond: 20_000, burst: 40_000 } },
  // perTarget: about a fifth of a core spent on signatures at most
  tokens: { perSource: { perSecond: 2, burst: 4 }, perPrefix: { perSecond: 32, burst: 64 }, perTarget: { perSecond: 2_000, burst: 4_000 } },
  prefixBits: { v4: 24, v6: 48 },
};

export interface EdgeConfig {
  /** this edge's id in events (a NATS subject token) */
  edgeId: string;
  /** where it runs, in its events and as labels of every metric (name tokens; default `local`, `local`) */
  region: string;
  datacenter: string;
  /** `creds`: this edge's NATS credentials (`.creds` or nkey seed file); `tlsCa`: CA of the server's TLS certificate. */
  nats: { servers: string[]; creds: string | null; tlsCa: string | null };
  /** the host's LMDB state replica, opened read-only; null = only this edge's own transitions */
  replicaPath: string | null;
  metrics: { host: string; port: number };
  /** execution engine for programs */
  engine: 'wasm' | 'interp';
  services: ServiceConfig[];
  /**
   * Operator public keys (`ed25519:<64 hex>`, as `flowshield keys operator init` prints and
   * writes to operator.pub). A deployment is applied only when signed by one of them; with none,
   * every deployment is refused.
   */
  operatorKeys: string[];
  /**
   * Packet workers (threads), each with its own SO_REUSEPORT socket per service and its own
   * program instances. Default: the number of cores (os.availableParallelism()). 1: the packet
   * path runs on the main thread, no worker threads. Above 1 needs the udp-batch addon (the dgram twin cannot share a port on Node < 22.12):
   * without it the edge runs one and says so.
   */
  workers: number;
  /**
   * Steer sources this edge saw become VERIFIED to a reuse-port socket of their own, drained
   * first, so a flood of new sources cannot queue ahead of them; with packet workers, sources are
   * spread over the workers by address. Needs the addon and an IPv4 service (else ignored). Default true.
   */
  steering: boolean;
  /**
   * The resident memory (bytes) this edge must stay under, whatever the number of sources; null:
   * what it takes once ready plus everything it may still grow by (README "Memory"). A limit below
   * that is reported by /healthz and the log at start, and every sample over it is counted.
   */
  rssLimitBytes: number | null;
  programLimits: {
    /** the highest per-run instruction budget a record may ask for (at most MAX_PROGRAM_BUDGET) */
    maxBudget: number;
    /** program CPU time per second shared by the tenants; a tenant over its share is shed */
    cpuMsPerSecond: number;
  };
}

/** Default program CPU per second: half a core, so programs never take the whole event loop. */
export const DEFAULT_CPU_MS_PER_SECOND = 500;

const fail = (message: string): never => {
  throw new EdgeError(EdgeErrorCode.BAD_CONFIG, `edge config: ${message}`);
};

function port(value: unknown, where: string, allowZero = false): number {
  if (!Number.isInteger(value) || (value as number) < (allowZero ? 0 : 1) || (value as number) > 65535) fail(`${where} must be a port number`);
  return value as number;
}

function host(value: unknown, where: string): string {
  if (typeof value !== 'string' || (isIP(value) === 0 && value !== 'localhost')) fail(`${where} must be an IP address`);
  return value as string;
}

/**
 * Relaying sessions (ports) one client address may hold: status is per address, so once one
 * port of an address passes, every port of it would — an attacker verified once (or spoofing a
 * verified address) opening ports by the ten thousand would take the edge's sockets and have the
 * origin's replies sent to all of them. Generous for players sharing an address behind a NAT.
 */
export const DEFAULT_SESSIONS_PER_ADDRESS = 64;

function wholePositive(value: unknown, fallback: number, where: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || (value as number) < 1) fail(`${where} must be a whole number from 1`);
  return value as number;
}

function positive(value: unknown, fallback: number, where: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) fail(`${where} must be a positive number`);
  return value as number;
}

function tableBytes(value: unknown, fallback: number, where: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || (value as number) < MIN_TABLE_BYTES || (value as number) > MAX_TABLE_BYTES) {
    fail(`${where} must be a whole number of bytes from ${MIN_TABLE_BYTES} to ${MAX_TABLE_BYTES}`);
  }
  return value as number;
}

function rssLimit(value: unknown): number {
  if (!Number.isSafeInteger(value) || (value as number) < MIN_RSS_LIMIT_BYTES) fail(`rssLimitBytes must be a whole number of bytes, at least ${MIN_RSS_LIMIT_BYTES} (64 MiB), or null`);
  return value as number;
}

function memory(m: any, at: string): MemoryConfig {
  if (m !== undefined && (typeof m !== 'object' || m === null)) fail(`${at}.memory must be an object`);
  const known = Object.keys(DEFAULT_MEMORY);
  for (const field of Object.keys(m ?? {})) if (!known.includes(field)) fail(`${at}.memory.${field} is not a setting (${known.join(', ')})`);
  const out = {} as MemoryConfig;
  for (const field of known as (keyof MemoryConfig)[]) out[field] = tableBytes(m?.[field], DEFAULT_MEMORY[field], `${at}.memory.${field}`);
  return out;
}

const RATE_FIELDS = ['perSource', 'perPrefix', 'perTarget'] as const;
/** Fields of `challenges` before `limits` existed: refused with where they went, never silently ignored. */
const MOVED = { perSourcePerSecond: 'perSource.perSecond', perSourceBurst: 'perSource.burst', totalPerSecond: 'perTarget.perSecond', totalBurst: 'perTarget.burst' } as const;

function limitSet(raw: any, fallback: LimitSet, where: string): LimitSet {
  if (raw === undefined) return fallback;
  if (typeof raw !== 'object' || raw === null) fail(`${where} must be an object`);
  for (const key of Object.keys(raw)) if (!(RATE_FIELDS as readonly string[]).includes(key)) fail(`${where}.${key} is not a limit (perSource, perPrefix, perTarget)`);
  const rate = (field: (typeof RATE_FIELDS)[number]): Rate => ({
    perSecond: positive(raw[field]?.perSecond, fallback[field].perSecond, `${where}.${field}.perSecond`),
    burst: positive(raw[field]?.burst, fallback[field].burst, `${where}.${field}.burst`),
  });
  return { perSource: rate('perSource'), perPrefix: rate('perPrefix'), perTarget: rate('perTarget') };
}

function prefixBits(value: unknown, fallback: number, max: number, where: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > max) fail(`${where} must be 0..${max}`);
  return value as number;
}

function serviceLimits(raw: any, at: string): ServiceLimits {
  const l = raw ?? {};
  if (typeof l !== 'object' || l === null) fail(`${at}.limits must be an object`);
  return {
    challenges: limitSet(l.challenges, DEFAULT_LIMITS.challenges, `${at}.limits.challenges`),
    replies: limitSet(l.replies, DEFAULT_LIMITS.replies, `${at}.limits.replies`),
    tokens: limitSet(l.tokens, DEFAULT_LIMITS.tokens, `${at}.limits.tokens`),
    prefixBits: {
      v4: prefixBits(l.prefixBits?.v4, DEFAULT_LIMITS.prefixBits.v4, 32, `${at}.limits.prefixBits.v4`),
      v6: prefixBits(l.prefixBits?.v6, DEFAULT_LIMITS.prefixBits.v6, 128, `${at}.limits.prefixBits.v6`),
    },
  };
}

/** A region or datacenter name: a subject token like the edge id (it names streams and labels). */
function placeName(value: unknown, where: string): string {
  if (value === undefined) return 'local';
  if (typeof value !== 'string' || !isNameToken(value)) fail(`${where} must be 1-64 letters, digits, - or _`);
  return value as string;
}

function share(value: unknown, where: string): number {
  if (typeof value !== 'number' || !(value > 0) || value > 1) fail(`${where} must be a fraction greater than 0 and at most 1`);
  return value as number;
}

/** Validates a config object (parsed JSON); every problem is an EdgeError naming the field. */
export function parseEdgeConfig(raw: unknown): EdgeConfig {
  if (typeof raw !== 'object' || raw === null) fail('must be a JSON object');
  const c = raw as Record<string, any>;
  if (typeof c.edgeId !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(c.edgeId)) fail('edgeId must be 1-64 letters, digits, - or _');
  const servers = c.nats?.servers ?? ['nats://127.0.0.1:4222'];
  if (!Array.isArray(servers) || servers.length === 0 || !servers.every((s) => typeof s === 'string')) fail('nats.servers must be a list of URLs');
  for (const field of ['creds', 'tlsCa'] as const) {
    const value = c.nats?.[field];
    if (value !== undefined && value !== null && (typeof value !== 'string' || value === '')) fail(`nats.${field} must be a file path or null`);
  }
  if (c.replicaPath !== undefined && c.replicaPath !== null && typeof c.replicaPath !== 'string') fail('replicaPath must be a path or null');
  const engine = c.engine ?? 'wasm';
  if (engine !== 'wasm' && engine !== 'interp') fail("engine must be 'wasm' or 'interp'");
  if (!Array.isArray(c.services) || c.services.length === 0) fail('services must list at least one protected service');
  const tenants = new Set<string>();
  const services = (c.services as any[]).map((s, i): ServiceConfig => {
    const at = `services[${i}]`;
    if (typeof s !== 'object' || s === null) fail(`${at} must be an object`);
    if (typeof s.tenant !== 'string' || !isTenantName(s.tenant)) fail(`${at}.tenant must be 1-64 letters, digits, - or _`);
    if (tenants.has(s.tenant)) fail(`${at}.tenant ${s.tenant} is listed twice`);
    tenants.add(s.tenant);
    const ch = s.challenges ?? {};
    for (const [old, now] of Object.entries(MOVED)) if (ch[old] !== undefined) fail(`${at}.challenges.${old} moved to ${at}.limits.challenges.${now}`);
    const failVerdict = s.failVerdict ?? 'drop';
    if (failVerdict !== 'pass' && failVerdict !== 'drop') fail(`${at}.failVerdict must be pass or drop`);
    const difficultyBits = ch.difficultyBits ?? 12;
    if (!Number.isInteger(difficultyBits) || difficultyBits < 0 || difficultyBits > 32) fail(`${at}.challenges.difficultyBits must be 0..32`);
    const subPuzzles = ch.subPuzzles ?? 4;
    if (![1, 2, 4, 8, 16].includes(subPuzzles)) fail(`${at}.challenges.subPuzzles must be 1, 2, 4, 8 or 16`);
    return {
      tenant: s.tenant,
      listen: { host: host(s.listen?.host, `${at}.listen.host`), port: port(s.listen?.port, `${at}.listen.port`, true) },
      origin: { host: host(s.origin?.host, `${at}.origin.host`), port: port(s.origin?.port, `${at}.origin.port`) },
      public: {
        host: s.public?.host === undefined ? null : host(s.public.host, `${at}.public.host`),
        port: s.public?.port === undefined ? null : port(s.public.port, `${at}.public.port`),
      },
      sessions: {
        max: s.sessions?.max === undefined || s.sessions.max === null ? null : positive(s.sessions.max, 0, `${at}.sessions.max`),
        idleSeconds: positive(s.sessions?.idleSeconds, 60, `${at}.sessions.idleSeconds`),
        maxPerAddress: wholePositive(s.sessions?.maxPerAddress, DEFAULT_SESSIONS_PER_ADDRESS, `${at}.sessions.maxPerAddress`),
      },
      memory: memory(s.memory, at),
      challenges: { difficultyBits, subPuzzles },
      limits: serviceLimits(s.limits, at),
      failVerdict,
      cpuShare: s.cpuShare === undefined ? 1 / c.services.length : share(s.cpuShare, `${at}.cpuShare`),
    };
  });
  const operatorKeys = c.operatorKeys ?? [];
  if (!Array.isArray(operatorKeys) || !operatorKeys.every((k) => typeof k === 'string')) fail('operatorKeys must be a list of public keys (ed25519:<64 hex>)');
  operatorKeys.forEach((k: string, i: number) => {
    try {
      publicKeyFromText(k);
    } catch (err) {
      fail(`operatorKeys[${i}]: ${(err as Error).message}`);
    }
  });
  const limits = c.programLimits ?? {};
  const maxBudget = limits.maxBudget ?? MAX_PROGRAM_BUDGET;
  if (!Number.isSafeInteger(maxBudget) || maxBudget < 1 || maxBudget > MAX_PROGRAM_BUDGET) fail(`programLimits.maxBudget must be an integer from 1 to ${MAX_PROGRAM_BUDGET}`);
  return {
    edgeId: c.edgeId,
    region: placeName(c.region, 'region'),
    datacenter: placeName(c.datacenter, 'datacenter'),
    nats: { servers, creds: c.nats?.creds ?? null, tlsCa: c.nats?.tlsCa ?? null },
    replicaPath: c.replicaPath ?? null,
    metrics: { host: c.metrics?.host === undefined ? '127.0.0.1' : host(c.metrics.host, 'metrics.host'), port: c.metrics?.port === undefined ? 9464 : port(c.metrics.port, 'metrics.port', true) },
    engine,
    services,
    workers: Number.isInteger(c.workers ?? 1) ? positive(c.workers, availableParallelism(), 'workers') : fail('workers must be a positive integer'),
    steering: c.steering === undefined ? true : typeof c.steering === 'boolean' ? c.steering : fail('steering must be true or false'),
    operatorKeys: operatorKeys.map((k: string) => k.trim()),
    rssLimitBytes: c.rssLimitBytes === undefined || c.rssLimitBytes === null ? null : rssLimit(c.rssLimitBytes),
    programLimits: { maxBudget, cpuMsPerSecond: positive(limits.cpuMsPerSecond, DEFAULT_CPU_MS_PER_SECOND, 'programLimits.cpuMsPerSecond') },
  };
}
