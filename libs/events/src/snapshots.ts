import { createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { dirname, join, resolve } from 'node:path';
import { decodeManifest, DecodeError, encodeManifest, SNAPSHOT_BUCKET, SNAPSHOT_MANIFEST_VERSION, type SnapshotManifest } from '@flowshield/proto';
import { Objm, setSha256Backend, type ObjectStore } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';

/**
 * Snapshots in the NATS object store: `<id>.mdb` is a compacted LMDB data file, `<id>.manifest.json`
 * says what it covers. The id starts with the zero-padded creation time, so names sort by age.
 */
const MANIFEST_SUFFIX = '.manifest.json';

export async function openSnapshotStore(nc: NatsConnection, bucket = SNAPSHOT_BUCKET): Promise<ObjectStore> {
  // The object store checks every object's SHA-256 on put and get; its default pure-JS hash made
  // that the bottleneck of a snapshot (~10 MB/s here). node:crypto's runs at disk speed.
  setSha256Backend('native');
  return new Objm(nc).create(bucket);
}

export function snapshotId(createdAt: number, replicaId: string): string {
  return `${String(createdAt).padStart(15, '0')}-${replicaId}`;
}

/** Long steps of a snapshot: `verify` counts entries digested, `upload` and `download` bytes. */
export type SnapshotPhase = 'verify' | 'upload' | 'download';
export type SnapshotProgressFn = (phase: SnapshotPhase, done: number, total: number) => void;

/** Passes bytes through, reporting how many went by (at most every 64 KiB chunk the stream carries). */
function counting(phase: SnapshotPhase, total: number, onProgress: SnapshotProgressFn | undefined): Transform {
  let done = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      done += chunk.length;
      onProgress?.(phase, done, total);
      callback(null, chunk);
    },
  });
}

export interface UploadSnapshotInput {
  /** Folder holding the copy's `data.mdb`. */
  dir: string;
  replicaId: string;
  createdAt?: number;
  sequences: Record<string, number>;
  entries: number;
  digest: string;
  appliedEvents: number;
}

/** Uploads the data first and the manifest last, so a listed manifest always has its data. */
export async function uploadSnapshot(store: ObjectStore, input: UploadSnapshotInput, onProgress?: SnapshotProgressFn): Promise<SnapshotManifest> {
  const createdAt = input.createdAt ?? Date.now();
  const id = snapshotId(createdAt, input.replicaId);
  const dataObject = `${id}.mdb`;
  const file = join(input.dir, 'data.mdb');
  const bytes = createReadStream(file).pipe(counting('upload', statSync(file).size, onProgress));
  const info = await store.put({ name: dataObject, description: 'flowshield replica snapshot (LMDB data.mdb)' },
    Readable.toWeb(bytes) as ReadableStream<Uint8Array>);
  const manifest: SnapshotManifest = {
    version: SNAPSHOT_MANIFEST_VERSION, dataObject, replicaId: input.replicaId, createdAt,
    sequences: input.sequences, entries: input.entries, digest: input.digest, appliedEvents: input.appliedEvents,
    dataDigest: info.digest,
  };
  await store.putBlob({ name: `${id}${MANIFEST_SUFFIX}` }, encodeManifest(manifest));
  return manifest;
}

/** Every readable manifest, newest first; manifests that do not decode are skipped and counted. */
export async function listSnapshots(store: ObjectStore): Promise<{ manifests: SnapshotManifest[]; unreadable: number }> {
  const infos = (await store.list()).filter((i) => !i.deleted && i.name.endsWith(MANIFEST_SUFFIX));
  const manifests: SnapshotManifest[] = [];
  let unreadable = 0;
  for (const info of infos) {
    const bytes = await store.getBlob(info.name);
    try {
      if (bytes) manifests.push(decodeManifest(bytes));
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      unreadable++;
    }
  }
  manifests.sort((a, b) => b.createdAt - a.createdAt || (a.dataObject < b.dataObject ? 1 : -1));
  return { manifests, unreadable };
}

/**
 * Downloads a snapshot's data file into `targetDir/data.mdb` (the folder must not hold a replica).
 * The object store checks the bytes against the object's SHA-256 as they arrive; true when that
 * digest is the one the manifest recorded at upload (the bytes are the ones the manifest describes).
 */
export async function downloadSnapshot(store: ObjectStore, manifest: SnapshotManifest, targetDir: string, onProgress?: SnapshotProgressFn): Promise<boolean> {
  const result = await store.get(manifest.dataObject);
  if (!result) throw new Error(`snapshot data ${manifest.dataObject} is missing from the object store`);
  if (manifest.dataDigest !== undefined && result.info.digest !== manifest.dataDigest) {
    throw new SnapshotError(SnapshotErrorCode.DIGEST, `snapshot data ${manifest.dataObject} has object digest ${result.info.digest}, its manifest says ${manifest.dataDigest}`);
  }
  mkdirSync(targetDir, { recursive: true });
  await pipeline(Readable.fromWeb(result.data as import('node:stream/web').ReadableStream<Uint8Array>),
    counting('download', result.info.size, onProgress), createWriteStream(join(targetDir, 'data.mdb'), { flags: 'wx' }));
  const err = await result.error;
  if (err) throw err;
  return manifest.dataDigest !== undefined;
}

/** What a snapshot copy holds; supplied by libs/replica (`copyReplica`, `readSnapshotFacts`), injected to keep this package free of LMDB. */
export interface SnapshotCopyFacts {
  sequences: Record<string, number>;
  entries: number;
  digest: string;
  appliedEvents: number;
}

/** `onProgress(done, total)` in entries digested; reading the facts of millions of entries takes seconds. */
export interface SnapshotReplicaOps {
  /** Writes a consistent copy of the replica into an empty folder and returns its facts. */
  copy(targetDir: string, onProgress?: (done: number, total: number) => void): Promise<SnapshotCopyFacts>;
  /**
   * Reads the facts of a replica folder (to check a download against its manifest); with
   * `digest: false` only what is read without scanning the registers (the digest is then '').
   */
  facts(dir: string, onProgress?: (done: number, total: number) => void, options?: { digest: boolean }): Promise<SnapshotCopyFacts>;
}

function verifyProgress(onProgress: SnapshotProgressFn | undefined): ((done: number, total: number) => void) | undefined {
  return onProgress && ((done, total) => onProgress('verify', done, total));
}

/**
 * Cuts a snapshot of a (possibly live) replica: a compacted copy in a temporary folder, its
 * facts read back from the copy, then data and manifest uploaded to the object store.
 */
export async function createSnapshot(nc: NatsConnection, ops: Pick<SnapshotReplicaOps, 'copy'>, replicaId: string,
  options: { bucket?: string; onProgress?: SnapshotProgressFn } = {}): Promise<SnapshotManifest> {
  const dir = mkdtempSync(join(tmpdir(), 'flowshield-snapshot-'));
  try {
    const facts = await ops.copy(join(dir, 'copy'), verifyProgress(options.onProgress));
    const store = await openSnapshotStore(nc, options.bucket);
    return await uploadSnapshot(store, { dir: join(dir, 'copy'), replicaId, ...facts }, options.onProgress);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A snapshot whose data does not match its manifest, or a restore into a folder that is not empty. */
export class SnapshotError extends Error {
  override readonly name = 'SnapshotError';
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

export const SnapshotErrorCode = {
  DIGEST: 'FS_ERR_EVENTS_SNAPSHOT_DIGEST',
  TARGET: 'FS_ERR_EVENTS_SNAPSHOT_TARGET',
  NOT_FOUND: 'FS_ERR_EVENTS_SNAPSHOT_NOT_FOUND',
} as const;

/** True when the folder holds no replica yet. */
export function isEmptyReplicaDir(dir: string): boolean {
  return !existsSync(join(dir, 'data.mdb'));
}

/**
 * Restores a snapshot (the newest, or the one whose data object is named) into `dir`, which must
 * not hold a replica: downloads beside it, checks digest and entry count against the manifest,
 * and only then moves the file into place. Returns null when the bucket holds no snapshot.
 */
export async function restoreSnapshot(nc: NatsConnection, ops: Pick<SnapshotReplicaOps, 'facts'>, dir: string,
  options: { bucket?: string; dataObject?: string; stream?: string; onProgress?: SnapshotProgressFn } = {}): Promise<SnapshotManifest | null> {
  if (!isEmptyReplicaDir(dir)) throw new SnapshotError(SnapshotErrorCode.TARGET, `${dir} already holds a replica`);
  const store = await openSnapshotStore(nc, options.bucket);
  const { manifests } = await listSnapshots(store);
  const manifest = options.dataObject
    ? manifests.find((m) => m.dataObject === options.dataObject || m.dataObject === `${options.dataObject}.mdb`)
    // A region's replicas read their own aggregate: only a snapshot that recorded a position in
    // that stream lets the replica resume there (another region's would replay it all from 1).
    : manifests.find((m) => options.stream === undefined || m.sequences[options.stream] !== undefined);
  if (!manifest) {
    if (options.dataObject) throw new SnapshotError(SnapshotErrorCode.NOT_FOUND, `no snapshot named ${options.dataObject}`);
    return null;
  }
  const staging = mkdtempSync(join(dirname(resolve(dir)), '.flowshield-restore-'));
  try {
    // A manifest that recorded its data object's digest is checked by the download itself (the
    // object store hashes every byte it hands over); the state digest is then known to be the
    // manifest's, and only the cheap facts are compared. Older manifests: a full state digest.
    const bytesChecked = await downloadSnapshot(store, manifest, staging, options.onProgress);
    const facts = await ops.facts(staging, verifyProgress(options.onProgress), { digest: !bytesChecked });
    if (bytesChecked) facts.digest = manifest.digest;
    if (facts.digest !== manifest.digest || facts.entries !== manifest.entries) {
      throw new SnapshotError(SnapshotErrorCode.DIGEST,
        `snapshot ${manifest.dataObject} has digest ${facts.digest} (${facts.entries} entries), its manifest says ${manifest.digest} (${manifest.entries})`);
    }
    mkdirSync(dir, { recursive: true });
    renameSync(join(staging, 'data.mdb'), join(dir, 'data.mdb'));
    return manifest;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
