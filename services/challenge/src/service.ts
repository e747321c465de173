import { accessConnectOptions, followConnection, Role, serverList } from '@flowshield/access';
import { connect, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import { pino, type Logger } from 'pino';
import {
  CHALLENGE_DIFFICULTY_BUCKET, CHALLENGE_EPOCH_BUCKET, CHALLENGE_PUBKEY_BUCKET, CHALLENGE_QUEUE_GROUP, ChallengeSubject,
  DecodeError, TENANT_KEY_BUCKET, decodeApiMessage, decodeEpochKeyRecord, decodeTenantKeyRecord, encodeApiMessage,
  encodeEpochKeyRecord, encodePublicKeyRecord, encodeTenantKeyRecord, isTenantName, tenantKeyKvKey, tenantOfKey,
  edgeIdOfLoadSubject, endpointFromText, endpointToText, epochKvKey, fromBase64, isEndpointText, LOAD_SUBJECTS, publicKeyKvKey, serviceKey, toBase64,
  type DifficultyRecord, type DifficultyRequest, type Endpoint, type IssueReply, type IssueRequest, type KeysListReply,
  type KeysRotateReply, type LoadReport, type TenantKeyReply, type TenantKeyRequest, type TokenReply, type TokenRequest,
  type VerifyReply, type VerifyRequest,
} from '@flowshield/proto';
import { KeyRing, PuzzleEngine } from '@flowshield/puzzle';
import { DifficultyController, type DifficultyPolicy } from './difficulty-controller.js';
import { EpochSchedule, type EpochTimes } from './epoch-schedule.js';
import { BadRequestError } from './errors.js';
import { deriveEpochKey, deriveTenantKey } from './key-derivation.js';
import { ChallengeMetrics } from './metrics.js';
import { RateLimitedLog } from '@flowshield/service-log';
import { TokenIssuer } from './token-issuer.js';
import type { Readiness } from '@flowshield/service-http';

export interface ChallengeServiceOptions {
  /** NATS server URL(s). */
  servers: string | string[];
  /** NATS credentials of the challenge role (`.creds` or nkey seed file); absent = none. */
  creds?: string | null;
  /** CA of the NATS server's TLS certificate. */
  tlsCa?: string | null;
  /** Master secret (≥ 32 bytes). Never logged, never sent: only derived keys leave the process. */
  masterKey: Uint8Array;
  logger?: Logger;
  metrics?: ChallengeMetrics;
  /** Milliseconds since the UNIX epoch. */
  clock?: () => number;
  /** Key epoch length in seconds (default 60); the previous epoch stays accepted as long again. */
  epochSeconds?: number;
  /** Publish the next epoch key this long before it starts (default 15 s). */
  leadSeconds?: number;
  /** Answer validity in seconds (default 30; at most epochSeconds). */
  validitySeconds?: number;
  /** Lifetime of tokens issued after a verified answer (default 600 s); TokenRequest may ask up to maxTokenTtlSeconds. */
  tokenTtlSeconds?: number;
  maxTokenTtlSeconds?: number;
  /** Id of the Ed25519 signing key (default 1); bump it to rotate the signing key. */
  signingKeyId?: number;
  difficulty?: Partial<DifficultyPolicy>;
  /** How often the schedule and difficulty decay run (default 1,000 ms). */
  tickMs?: number;
}

type Handler = (body: unknown) => object | Promise<object>;

/** Version of the tenant-key derivation; bumping it would re-key every tenant (a rotation). */
const TENANT_KEY_VERSION = 1;

/**
 * The challenge service (DESIGN.md sections 1 and 6): owns the key ring, distributes per-epoch keys
 * to edges through a KV bucket, tunes difficulty per protected service from edge load reports,
 * answers issue/verify/token/keys requests, and signs verified tokens.
 */
/** Protected services one challenge service tracks difficulty for, at most. */
const MAX_REPORTED_TARGETS = 10_000;

export class ChallengeService {
  readonly nc: NatsConnection;
  readonly metrics: ChallengeMetrics;
  readonly engine: PuzzleEngine;
  readonly difficulty: DifficultyController;
  readonly tokens: TokenIssuer;
  private readonly log: Logger;
  private readonly badInput: RateLimitedLog;
  private readonly clock: () => number;
  private readonly master: Uint8Array;
  private readonly ring = new KeyRing();
  private readonly schedule: EpochSchedule;
  private readonly subs: Subscription[] = [];
  private readonly tokenTtl: number;
  private readonly maxTokenTtl: number;
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private epochKv!: KV;
  private difficultyKv!: KV;
  private pubkeyKv!: KV;
  private tenantKeyKv!: KV;

  private readonly connection: { readonly connected: boolean };
  private constructor(nc: NatsConnection, options: ChallengeServiceOptions) {
    this.nc = nc;
    this.connection = followConnection(nc);
    this.master = options.masterKey;
    this.clock = options.clock ?? Date.now;
    this.log = options.logger ?? pino({ name: 'challenge' });
    this.metrics = options.metrics ?? new ChallengeMetrics();
    this.badInput = new RateLimitedLog(this.log);
    const epochSeconds = options.epochSeconds ?? 60;
    const validitySeconds = options.validitySeconds ?? 30;
    if (validitySeconds > epochSeconds) throw new RangeError('validitySeconds must not exceed epochSeconds (the overlap)');
    this.schedule = new EpochSchedule({ epochSeconds, leadSeconds: options.leadSeconds ?? Math.min(15, Math.floor(epochSeconds / 4)) });
    this.engine = new PuzzleEngine({ keyRing: this.ring, clock: this.clock, validitySeconds });
    this.difficulty = new DifficultyController({ validitySeconds, ...options.difficulty });
    this.tokens = new TokenIssuer(this.master, options.signingKeyId ?? 1);
    this.tokenTtl = options.tokenTtlSeconds ?? 600;
    this.maxTokenTtl = options.maxTokenTtlSeconds ?? 86_400;
  }

  /** Pause between attempts while NATS or JetStream does not answer yet. */
  static FIRST_CONNECT_RETRY_MS = 1_000;

  /**
   * Connects and sets up the buckets, retrying (as the edge and the state service do) until NATS
   * answers and JetStream takes the buckets: NATS may start after us, and a cluster answers
   * JetStream calls only once it has elected its leader. `signal` gives up (an AbortError).
   */
  static async start(options: ChallengeServiceOptions & { signal?: AbortSignal }): Promise<ChallengeService> {
    if (options.masterKey.length < 32) throw new RangeError('masterKey must be at least 32 bytes');
    let lastLog = 0;
    for (let attempt = 1; ; attempt++) {
      options.signal?.throwIfAborted();
      let nc: NatsConnection | null = null;
      try {
        nc = await connect({
          servers: serverList(options.servers), name: 'flowshield-challenge', maxReconnectAttempts: -1, reconnectTimeWait: 250,
          ...accessConnectOptions({ role: Role.challenge, creds: options.creds ?? null, tlsCa: options.tlsCa ?? null }),
        });
        const service = new ChallengeService(nc, options);
        await service.init(options.tickMs ?? 1000);
        if (attempt > 1) options.logger?.info({ attempts: attempt }, 'NATS and JetStream answering');
        return service;
      } catch (err) {
        await nc?.close().catch(() => undefined);
        // Bad credentials never get better: only an unreachable server or JetStream is waited for.
        if ((err as { code?: string }).code?.startsWith('FS_ERR_ACCESS')) throw err;
        if (Date.now() - lastLog >= 10_000) {
          lastLog = Date.now();
          options.logger?.warn({ attempt, err: (err as Error).message }, 'NATS or JetStream not answering yet; retrying');
        }
        await new Promise((r) => setTimeout(r, ChallengeService.FIRST_CONNECT_RETRY_MS));
      }
    }
  }

  private now(): number {
    return Math.floor(this.clock() / 1000);
  }

  private async init(tickMs: number): Promise<void> {
    const kvm = new Kvm(this.nc);
    const epochSeconds = this.schedule.epochSeconds;
    // Records are deleted explicitly when they retire; the bucket TTL is a safety net if we die.
    this.epochKv = await kvm.create(CHALLENGE_EPOCH_BUCKET, { history: 1, ttl: 4 * epochSeconds * 1000 });
    this.pubkeyKv = await kvm.create(CHALLENGE_PUBKEY_BUCKET, { history: 1 });
    this.difficultyKv = await kvm.create(CHALLENGE_DIFFICULTY_BUCKET, { history: 1 });
    this.tenantKeyKv = await kvm.create(TENANT_KEY_BUCKET, { history: 1 });
    await this.rewriteTenantKeys();
    this.schedule.load(await this.loadEpochs());
    // Rewrite what we found with keys derived from *our* master, so edges and this process agree
    // even if the bucket outlived a master-key change.
    await this.apply(this.schedule.all(), [], 'restart');
    await this.pubkeyKv.put(publicKeyKvKey(this.tokens.signingKeyId), encodePublicKeyRecord(this.tokens.publicKeyRecord()));
    await this.tick();
    this.serve(ChallengeSubject.issue, 'issue', (b) => this.onIssue(b));
    this.serve(ChallengeSubject.verify, 'verify', (b) => this.onVerify(b));
    this.serve(ChallengeSubject.token, 'token', (b) => this.onToken(b));
    this.serve(ChallengeSubject.keysList, 'keys_list', () => this.listKeys());
    this.serve(ChallengeSubject.keysRotate, 'keys_rotate', () => this.rotate());
    this.serve(ChallengeSubject.difficulty, 'difficulty', (b) => this.onDifficulty(b));
    this.serve(ChallengeSubject.tenantKey, 'tenant_key', (b) => this.onTenantKey(b));
    this.subs.push(this.nc.subscribe(LOAD_SUBJECTS, { callback: (err, msg) => { if (!err) this.onLoad(msg); } }));
    this.timer = setInterval(() => { void this.serialized(() => this.tick()).catch((err) => this.log.error({ err }, 'tick failed')); }, tickMs);
    this.timer.unref();
    this.log.info({ signingKeyId: this.tokens.signingKeyId, epochs: this.schedule.info(this.now()) }, 'challenge service started');
  }

  private async loadEpochs(): Promise<EpochTimes[]> {
    const found: EpochTimes[] = [];
    for await (const k of await this.epochKv.keys()) {
      const e = await this.epochKv.get(k);
      if (!e || e.operation !== 'PUT') continue;
      try {
        const r = decodeEpochKeyRecord(e.value);
        found.push({ keyId: r.keyId, notBefore: r.notBefore, notAfter: r.notAfter, acceptUntil: r.acceptUntil });
      } catch (err) {
        this.log.warn({ key: k, code: err instanceof DecodeError ? err.code : undefined }, 'ignoring an undecodable epoch record');
      }
    }
    return found;
  }

  /** KV writes and schedule changes run one at a time. */
  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async tick(): Promise<void> {
    const now = this.now();
    const change = this.schedule.tick(now);
    await this.apply(change.upsert, change.remove, 'schedule');
    for (const service of this.difficulty.tick(now)) await this.publishDifficulty(service);
  }

  private async apply(upsert: EpochTimes[], remove: number[], cause: string): Promise<void> {
    for (const id of remove) {
      this.ring.remove(id);
      await this.epochKv.delete(epochKvKey(id));
    }
    for (const times of upsert) {
      const record = { ...times, key: deriveEpochKey(this.master, times.keyId) };
      this.ring.upsert(record);
      await this.epochKv.put(epochKvKey(times.keyId), encodeEpochKeyRecord(record));
      if (times.notBefore <= this.now()) this.metrics.rotations.inc({ cause });
      this.log.info({ keyId: times.keyId, notBefore: times.notBefore, notAfter: times.notAfter, acceptUntil: times.acceptUntil, cause }, 'epoch key published');
    }
    this.ring.prune(this.now());
    const current = this.schedule.current(this.now());
    if (current) this.metrics.currentEpoch.set(current.keyId);
  }

  /** Ends the current epoch now and starts a new one (the previous stays accepted for one epoch). */
  rotate(): Promise<KeysRotateReply> {
    return this.serialized(async () => {
      const r = this.schedule.rotate(this.now());
      await this.apply(r.upsert, r.remove, 'rotate');
      return { v: 1, ok: true, current: r.current.keyId, previous: r.previous?.keyId ?? null } as const;
    });
  }

  /** Ready (for /healthz): connected to NATS, with a current epoch to issue under. */
  readiness(): Readiness {
    if (!this.connection.connected) return { ready: false, reason: 'not connected to NATS' };
    const current = this.schedule.current(this.now());
    if (!current) return { ready: false, reason: 'no current key epoch' };
    return { ready: true, epoch: current.keyId };
  }

  listKeys(): KeysListReply {
    return { v: 1, ok: true, epochs: this.schedule.info(this.now()), signingKeyIds: [this.tokens.signingKeyId] };
  }

  private serve(subject: string, api: string, handler: Handler): void {
    const sub = this.nc.subscribe(subject, {
      queue: CHALLENGE_QUEUE_GROUP,
      callback: (err, msg) => {
        if (err) return;
        void this.handle(msg, api, handler);
      },
    });
    this.subs.push(sub);
  }

  private async handle(msg: Msg, api: string, handler: Handler): Promise<void> {
    // A reply goes to an inbox, nowhere else: a request naming another subject as its reply (a
    // JetStream API call, another edge's events) would have this service publish there for the
    // asker. The server's permissions refuse it too (libs/access CHALLENGE_REPLY_SUBJECTS).
    if (msg.reply && !msg.reply.startsWith('_INBOX.')) {
      this.metrics.requests.inc({ api, outcome: 'bad_reply_subject' });
      this.badInput.warn(`reply:${api}`, { api, reply: msg.reply.slice(0, 120) }, 'request refused: its reply subject is not an inbox');
      return;
    }
    let reply: object;
    try {
      const body = msg.data.length === 0 ? { v: 1 } : decodeApiMessage(msg.data);
      reply = await handler(body);
      this.metrics.requests.inc({ api, outcome: (reply as { ok?: boolean }).ok === false ? 'refused' : 'ok' });
    } catch (err) {
      if (!(err instanceof DecodeError || err instanceof BadRequestError || err instanceof RangeError)) {
        this.log.error({ err, api }, 'request handler failed');
        reply = { v: 1, ok: false, reason: 'internal' };
        this.metrics.requests.inc({ api, outcome: 'error' });
      } else {
        this.metrics.badMessages.inc({ api });
        this.badInput.warn(`bad:${api}`, { api, code: (err as { code?: string }).code, reason: err.message }, 'bad request');
        reply = { v: 1, ok: false, reason: 'bad_request' };
        this.metrics.requests.inc({ api, outcome: 'bad_request' });
      }
    }
    if (msg.reply) msg.respond(encodeApiMessage(reply as { v: number }));
  }

  private endpoints(body: { client?: unknown; target?: unknown }, targetOptional = false): { client: Endpoint; target: Endpoint } {
    if (!isEndpointText(body.client)) throw new BadRequestError('client must be {address, port}');
    if (body.target === undefined && targetOptional) return { client: endpointFromText(body.client), target: { address: new Uint8Array(16), port: 0 } };
    if (!isEndpointText(body.target)) throw new BadRequestError('target must be {address, port}');
    return { client: endpointFromText(body.client), target: endpointFromText(body.target) };
  }

  private onIssue(body: unknown): IssueReply {
    const req = body as Partial<IssueRequest>;
    const { client, target } = this.endpoints(req);
    const triggerSize = Number.isInteger(req.triggerSize) ? req.triggerSize! : 0;
    const d = this.difficulty.get(serviceKey(target), this.now());
    const r = this.engine.issue({ client, target, triggerSize, difficulty: { bits: d.bits, subPuzzles: d.subPuzzles } });
    return r.ok ? { v: 1, ok: true, challenge: toBase64(r.packet) } : { v: 1, ok: false, reason: r.reason };
  }

  private onVerify(body: unknown): VerifyReply {
    const req = body as Partial<VerifyRequest>;
    const { client, target } = this.endpoints(req);
    if (typeof req.answer !== 'string' || req.answer.length > 4096) throw new BadRequestError('answer must be base64');
    const floorBits = this.difficulty.get(serviceKey(target), this.now()).floorBits;
    const r = this.engine.verify(fromBase64(req.answer), { client, target, floorBits });
    this.metrics.verifyResults.inc({ reason: r.ok ? 'ok' : r.reason });
    if (!r.ok) return { v: 1, ok: false, reason: r.reason };
    // The token binds the address only (port 0): NAT rebinding or roaming keeps the standing.
    const t = this.tokens.issue({ address: client.address, port: 0 }, target, this.now(), this.tokenTtl);
    this.metrics.tokensIssued.inc();
    return { v: 1, ok: true, keyId: r.keyId, token: toBase64(t.token), expiresAt: t.expiresAt };
  }

  private onToken(body: unknown): TokenReply {
    const req = body as Partial<TokenRequest>;
    const { client, target } = this.endpoints(req, true);
    const ttl = req.ttlSeconds ?? this.tokenTtl;
    if (!Number.isInteger(ttl) || ttl <= 0 || ttl > this.maxTokenTtl) throw new BadRequestError(`ttlSeconds must be 1..${this.maxTokenTtl}`);
    const t = this.tokens.issue(client, target, this.now(), ttl);
    this.metrics.tokensIssued.inc();
    return { v: 1, ok: true, token: toBase64(t.token), expiresAt: t.expiresAt };
  }

  /**
   * Rewrites every tenant key found with the one derived from *our* master, so edges and this
   * process agree even if the bucket outlived a master-key change (as for epoch keys).
   */
  private async rewriteTenantKeys(): Promise<void> {
    for await (const k of await this.tenantKeyKv.keys()) {
      const tenant = tenantOfKey(k);
      if (tenant) await this.putTenantKey(tenant);
    }
  }

  /** Writes the tenant's record unless the bucket already holds exactly it. */
  private async putTenantKey(tenant: string): Promise<number> {
    const record = encodeTenantKeyRecord({ tenant, keyVersion: TENANT_KEY_VERSION, key: deriveTenantKey(this.master, tenant, TENANT_KEY_VERSION) });
    const found = await this.tenantKeyKv.get(tenantKeyKvKey(tenant));
    if (found?.operation === 'PUT' && Buffer.from(found.value).equals(record)) return TENANT_KEY_VERSION;
    if (found?.operation === 'PUT') {
      try {
        decodeTenantKeyRecord(found.value);
      } catch {
        this.log.warn({ tenant }, 'replacing an undecodable tenant key record');
      }
    }
    await this.tenantKeyKv.put(tenantKeyKvKey(tenant), record);
    this.metrics.tenantKeysWritten.inc();
    this.log.info({ tenant, keyVersion: TENANT_KEY_VERSION }, 'tenant key published');
    return TENANT_KEY_VERSION;
  }

  private onTenantKey(body: unknown): Promise<TenantKeyReply> {
    const req = body as Partial<TenantKeyRequest>;
    if (typeof req.tenant !== 'string' || !isTenantName(req.tenant)) throw new BadRequestError('tenant must be a tenant name');
    const tenant = req.tenant;
    return this.serialized(async () => ({ v: 1, ok: true, tenant, keyVersion: await this.putTenantKey(tenant) }) as const);
  }

  private difficultyRecord(service: string, target: Endpoint): DifficultyRecord {
    const d = this.difficulty.get(service, this.now());
    return { v: 1, target: endpointToText(target), bits: d.bits, floorBits: d.floorBits, subPuzzles: d.subPuzzles, updatedAt: this.now() };
  }

  private onDifficulty(body: unknown): DifficultyRecord {
    const req = body as Partial<DifficultyRequest>;
    if (!isEndpointText(req.target)) throw new BadRequestError('target must be {address, port}');
    const target = endpointFromText(req.target);
    return this.difficultyRecord(serviceKey(target), target);
  }

  /** protected services seen in load reports (bounded: an edge could name any number) */
  private readonly targets = new Map<string, Endpoint>();

  private onLoad(msg: Msg): void {
    try {
      const r = decodeApiMessage<LoadReport>(msg.data);
      if (!isEndpointText(r.target) || !(r.windowMs > 0) || !(r.unverifiedPackets >= 0) || !(r.failedAnswers >= 0)) {
        throw new BadRequestError('load report needs target, windowMs, unverifiedPackets, failedAnswers');
      }
      // The subject is what NATS permissions vouch for: only edge X publishes on fs.challenge.load.X.
      const sender = edgeIdOfLoadSubject(msg.subject);
      if (sender === null || r.edgeId !== sender) throw new BadRequestError(`load report from edge ${String(r.edgeId)} arrived on ${msg.subject}`);
      const target = endpointFromText(r.target);
      const service = serviceKey(target);
      if (!this.targets.has(service) && this.targets.size >= MAX_REPORTED_TARGETS) throw new BadRequestError(`more than ${MAX_REPORTED_TARGETS} protected services reported`);
      this.metrics.loadReports.inc();
      this.targets.set(service, target);
      if (this.difficulty.report(service, r, this.now())) {
        this.log.info({ edgeId: sender, target: r.target, unverifiedPackets: r.unverifiedPackets, failedAnswers: r.failedAnswers }, 'difficulty raised on a load report');
        void this.serialized(() => this.publishDifficulty(service));
      }
    } catch (err) {
      this.metrics.badMessages.inc({ api: 'load' });
      this.badInput.warn('bad:load', { reason: err instanceof Error ? err.message : String(err) }, 'bad load report');
    }
  }

  private async publishDifficulty(service: string): Promise<void> {
    const target = this.targets.get(service);
    if (!target) return;
    const record = this.difficultyRecord(service, target);
    this.metrics.difficultyBits.set({ service: `${record.target.address}:${record.target.port}` }, record.bits);
    await this.difficultyKv.put(service, encodeApiMessage(record));
    this.log.info({ target: record.target, bits: record.bits, floorBits: record.floorBits }, 'difficulty changed');
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const s of this.subs) s.unsubscribe();
    await this.chain.catch(() => undefined);
    await this.nc.drain().catch(() => undefined);
  }
}
