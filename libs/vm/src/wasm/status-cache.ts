import type { StatusEntry } from '../abi/host.js';
import { putU64 } from '../interpreter/int64.js';
import {
  CTRL_NOW, CTRL_STATUS_GEN, CTRL_STATUS_SEED, STATUS_ABSENT, STATUS_CACHE_ENTRIES, STATUS_ENTRY_BYTES,
  STATUS_ENTRY_EXPIRY, STATUS_ENTRY_EXPIRY_U64, STATUS_ENTRY_GEN, STATUS_ENTRY_KEY, STATUS_ENTRY_STATUS,
} from './layout.js';

/**
 * The hash both sides compute: the seed, then each of the key's four words xored in, multiplied
 * and its high half folded into the low (`h ^= h >>> 15`), the top bits the entry. The seed
 * enters first, so which sources share an entry depends on it; the fold keeps a difference in a
 * word's top bit from passing through the multiplications alone, where a second one could cancel
 * it (two flipped top bits of an IPv6 address collided under every seed).
 */
export const STATUS_HASH_MULTIPLIER = 0x9e3779b1 | 0;
export const STATUS_HASH_SHIFT = 32 - Math.log2(STATUS_CACHE_ENTRIES);
export const STATUS_HASH_FOLD = 15;

/**
 * The host's side of a module's status cache (layout.ts): it fills an entry with what its
 * `getStatus` answered for the packet being run, and moves the generation on whenever that
 * state may answer otherwise — a new `statusVersion`, or a status the program set — so no
 * entry outlives the answer it holds. The compiled helper finds a source by the packet's IP
 * header, so a hit is right only where `meta.srcIp` is that address (ProgramInstanceOptions).
 */
export class StatusCache {
  private readonly bytes: Uint8Array;
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  private readonly base: number;
  private generation = 0;
  private version = Number.NaN;
  /** the last run's time: an answer of "no entry" may have been an entry past its expiry, which an earlier time makes live again */
  private now = Number.NEGATIVE_INFINITY;

  constructor(memory: ArrayBuffer, address: number) {
    this.bytes = new Uint8Array(memory);
    this.i32 = new Int32Array(memory);
    this.f64 = new Float64Array(memory);
    this.base = address;
    this.i32[CTRL_STATUS_SEED >> 2] = crypto.getRandomValues(new Uint32Array(1))[0]! | 0;
  }

  /** Before a run: the host state's version (entries of another version are dropped) and the run's time. */
  begin(version: number, now: number): void {
    if (version !== this.version || now < this.now) {
      this.version = version;
      this.advance();
    }
    this.now = now;
    this.f64[CTRL_NOW >> 3] = now;
    this.i32[CTRL_STATUS_GEN >> 2] = this.generation;
  }

  /** After a run: the compiled helper asks the host again (raw runs and other engines never read it). */
  end(): void {
    this.i32[CTRL_STATUS_GEN >> 2] = 0;
  }

  /** The program set a status: every entry may be wrong now (a write can evict other sources too). */
  changed(): void {
    this.advance();
    this.i32[CTRL_STATUS_GEN >> 2] = this.generation;
  }

  /** What the host answered for `ip`, the packet being run's source. */
  remember(ip: Uint8Array, entry: StatusEntry | undefined): void {
    if (ip.length !== 16) return;
    const e = this.entryFor(ip);
    const bytes = this.bytes;
    for (let i = 0; i < 16; i++) bytes[e + STATUS_ENTRY_KEY + i] = ip[i]!;
    this.i32[(e + STATUS_ENTRY_GEN) >> 2] = this.generation;
    if (entry === undefined) {
      this.i32[(e + STATUS_ENTRY_STATUS) >> 2] = STATUS_ABSENT;
      return;
    }
    this.i32[(e + STATUS_ENTRY_STATUS) >> 2] = entry.status & 0xff;
    this.f64[(e + STATUS_ENTRY_EXPIRY) >> 3] = entry.expiry;
    // the bytes the host's helper writes for this expiry (pfp-helpers writeU64)
    putU64(bytes, e + STATUS_ENTRY_EXPIRY_U64, entry.expiry);
  }

  /** Where `ip`'s answer goes: an answer is kept under the source the host looked up, whatever packet asked. */
  private entryFor(ip: Uint8Array): number {
    const word = (i: number) => ip[i]! | (ip[i + 1]! << 8) | (ip[i + 2]! << 16) | (ip[i + 3]! << 24);
    let h = this.i32[CTRL_STATUS_SEED >> 2]!;
    for (let i = 0; i < 16; i += 4) {
      h = Math.imul(h ^ word(i), STATUS_HASH_MULTIPLIER);
      h ^= h >>> STATUS_HASH_FOLD;
    }
    return this.base + (h >>> STATUS_HASH_SHIFT) * STATUS_ENTRY_BYTES;
  }

  private advance(): void {
    this.generation = (this.generation + 1) >>> 0;
    if (this.generation === 0) {
      // After 2^32 generations an old entry could carry the new one: start from empty.
      this.bytes.fill(0, this.base, this.base + STATUS_CACHE_ENTRIES * STATUS_ENTRY_BYTES);
      this.generation = 1;
    }
  }
}
