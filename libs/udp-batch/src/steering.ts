// Classic BPF programs for SO_ATTACH_REUSEPORT_CBPF (attachReusePortProgram): the kernel runs the
// program per datagram and delivers it to the socket of the reuse-port group at the index the
// program returns. Used to steer known (verified) sources to a socket of their own, so under
// overload a flood of unknown sources fills only the other socket's queue. Pure: no I/O.
import { endianness } from 'node:os';
import { UdpBatchError, UdpBatchErrorCode as C } from './errors.js';

// Opcodes (linux/filter.h), named from their fields.
const LD_W_ABS = 0x20; // BPF_LD | BPF_W | BPF_ABS
const LD_B_ABS = 0x30; // BPF_LD | BPF_B | BPF_ABS
const ALU_RSH_K = 0x74; // BPF_ALU | BPF_RSH | BPF_K
const JMP_JA = 0x05; // BPF_JMP | BPF_JA
const JMP_JEQ_K = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
const JMP_JGT_K = 0x25; // BPF_JMP | BPF_JGT | BPF_K
const RET_K = 0x06; // BPF_RET | BPF_K
const RET_A = 0x16; // BPF_RET | BPF_A
const TAX = 0x07; // BPF_MISC | BPF_TAX
const TXA = 0x87; // BPF_MISC | BPF_TXA
const ALU_XOR_X = 0xac; // BPF_ALU | BPF_XOR | BPF_X
const ALU_AND_K = 0x54; // BPF_ALU | BPF_AND | BPF_K
const ALU_MOD_K = 0x94; // BPF_ALU | BPF_MOD | BPF_K
const ALU_MUL_K = 0x24; // BPF_ALU | BPF_MUL | BPF_K
const ALU_ADD_K = 0x04; // BPF_ALU | BPF_ADD | BPF_K
const ST = 0x02; // BPF_ST: M[k] = A
const LD_MEM = 0x60; // BPF_LD | BPF_MEM: A = M[k]
/** Negative offsets from SKF_NET_OFF reach the IP header (the program's data starts at the UDP payload). */
const SKF_NET_OFF = 0xfff00000; // -0x100000 as u32
const IPV4_SRC = 12;

const MAX_INSNS = 4096; // BPF_MAXINSNS
const LE = endianness() === 'LE';
const LEAF = 8; // sources compared one by one at the bottom of the search tree

interface Insn { code: number; jt: number; jf: number; k: number; /** a JA to a tail, resolved last */ to?: 'known' | 'other' }

/** How many IPv4 sources one program holds (the kernel's 4096-instruction limit). */
export const STEERING_MAX_SOURCES = 2700;

export interface SteeringOptions {
  /** Known sources, 16 bytes each (IPv4-mapped, as the edge keeps them); IPv6 ones are not steered. */
  known: Iterable<Uint8Array>;
  /** Group index that gets datagrams from known sources. */
  knownIndex: number;
  /** Group index for everything else (unknown sources, IPv6). */
  otherIndex: number;
  /**
   * Packet workers, each with a pair of sockets in the group (default 1). Worker w's pair is at
   * `knownIndex + w * stride` and `otherIndex + w * stride`; an IPv4 source goes to worker
   * `workerOf(source, workers)`, known or not, so a source keeps its worker when it becomes known.
   */
  workers?: number;
  /** index distance between two workers' pairs (default 2) */
  stride?: number;
}

/** The worker an IPv4 source (host order) is steered to: the program's own arithmetic. */
export function workerOf(source: number, workers: number): number {
  return (((source >>> 16) ^ source) & 0xffff) % workers;
}

/**
 * A program returning knownIndex for datagrams whose IPv4 source is in `known` (a binary search
 * over the sorted addresses, ~2·log2(n/8) + 8 comparisons), otherIndex for all others. The index
 * is the socket's position in the group in bind order (closing one moves the last into its place).
 */
export function steeringProgram(options: SteeringOptions): { program: Uint8Array; steered: number; skipped: number } {
  const { knownIndex, otherIndex, workers = 1, stride = 2 } = options;
  for (const [v, what] of [[knownIndex, 'knownIndex'], [otherIndex, 'otherIndex'], [stride, 'stride']] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new UdpBatchError(C.ARGUMENT, `${what} must be a socket index`);
  }
  if (!Number.isInteger(workers) || workers < 1 || workers > 1024) throw new UdpBatchError(C.ARGUMENT, 'workers must be an integer from 1 to 1024');
  const set = new Set<number>();
  let skipped = 0;
  for (const a of options.known) {
    if (!(a instanceof Uint8Array) || a.length !== 16) throw new UdpBatchError(C.ADDRESS, 'known sources are 16-byte addresses');
    if (isMapped(a)) set.add(((a[12]! << 24) | (a[13]! << 16) | (a[14]! << 8) | a[15]!) >>> 0);
    else skipped++;
  }
  if (set.size > STEERING_MAX_SOURCES) {
    throw new UdpBatchError(C.ARGUMENT, `${set.size} known sources; one program holds ${STEERING_MAX_SOURCES}`);
  }
  const sorted = Uint32Array.from(set).sort();
  const spread = workers > 1;
  const out: Insn[] = [
    { code: LD_B_ABS, jt: 0, jf: 0, k: SKF_NET_OFF },
    { code: ALU_RSH_K, jt: 0, jf: 0, k: 4 },
    { code: JMP_JEQ_K, jt: 1, jf: 0, k: 4 }, // IPv4? skip the next instruction
    { code: RET_K, jt: 0, jf: 0, k: otherIndex },
    { code: LD_W_ABS, jt: 0, jf: 0, k: SKF_NET_OFF + IPV4_SRC },
    // Several workers: M[0] = workerOf(source) * stride, then A is the source again.
    ...(spread ? [
      { code: TAX, jt: 0, jf: 0, k: 0 },
      { code: ALU_RSH_K, jt: 0, jf: 0, k: 16 },
      { code: ALU_XOR_X, jt: 0, jf: 0, k: 0 },
      { code: ALU_AND_K, jt: 0, jf: 0, k: 0xffff },
      { code: ALU_MOD_K, jt: 0, jf: 0, k: workers },
      { code: ALU_MUL_K, jt: 0, jf: 0, k: stride },
      { code: ST, jt: 0, jf: 0, k: 0 },
      { code: TXA, jt: 0, jf: 0, k: 0 },
    ] : []),
    ...tree(sorted, 0, sorted.length, spread ? null : knownIndex, spread ? null : otherIndex),
  ];
  if (spread) {
    // The leaves jump to these tails: A = M[0] + the pair's index.
    const tails = { other: out.length, known: out.length + 3 };
    out.push(
      { code: LD_MEM, jt: 0, jf: 0, k: 0 }, { code: ALU_ADD_K, jt: 0, jf: 0, k: otherIndex }, { code: RET_A, jt: 0, jf: 0, k: 0 },
      { code: LD_MEM, jt: 0, jf: 0, k: 0 }, { code: ALU_ADD_K, jt: 0, jf: 0, k: knownIndex }, { code: RET_A, jt: 0, jf: 0, k: 0 },
    );
    out.forEach((insn, pc) => { if (insn.to) insn.k = tails[insn.to] - pc - 1; });
  }
  if (out.length > MAX_INSNS) throw new UdpBatchError(C.ARGUMENT, `program of ${out.length} instructions exceeds ${MAX_INSNS}`);
  const program = new Uint8Array(out.length * 8);
  const view = new DataView(program.buffer);
  out.forEach((insn, i) => {
    // struct sock_filter is in host byte order.
    view.setUint16(i * 8, insn.code, LE);
    view.setUint8(i * 8 + 2, insn.jt);
    view.setUint8(i * 8 + 3, insn.jf);
    view.setUint32(i * 8 + 4, insn.k, LE);
  });
  return { program, steered: set.size, skipped };
}

/** How a leaf ends: return the index, or (null: several workers) jump to the tail that computes it. */
const end = (index: number | null, to: 'known' | 'other'): Insn => (index === null ? { code: JMP_JA, jt: 0, jf: 0, k: 0, to } : { code: RET_K, jt: 0, jf: 0, k: index });

/** Instructions deciding A (the source) in sorted[lo, hi): a search tree with linear leaves. */
function tree(sorted: Uint32Array, lo: number, hi: number, known: number | null, other: number | null): Insn[] {
  const n = hi - lo;
  if (n <= LEAF) {
    // JEQ each (jt to the trailing "known" end), then the "other" end, then the "known" end.
    const leaf: Insn[] = [];
    for (let i = 0; i < n; i++) leaf.push({ code: JMP_JEQ_K, jt: n - i, jf: 0, k: sorted[lo + i]! });
    leaf.push(end(other, 'other'), end(known, 'known'));
    return leaf;
  }
  // Split on a leaf boundary so every leaf but the last is full (fewest instructions per source).
  const mid = lo + LEAF * Math.ceil(Math.ceil(n / LEAF) / 2);
  const left = tree(sorted, lo, mid, known, other);
  const right = tree(sorted, mid, hi, known, other);
  // A > sorted[mid-1] goes right. jt lands on a JA over the left subtree (its 32-bit offset has no
  // 255-instruction limit, unlike jt/jf); jf skips the JA into the left subtree.
  return [
    { code: JMP_JGT_K, jt: 0, jf: 1, k: sorted[mid - 1]! },
    { code: JMP_JA, jt: 0, jf: 0, k: left.length },
    ...left,
    ...right,
  ];
}

function isMapped(a: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (a[i] !== 0) return false;
  return a[10] === 0xff && a[11] === 0xff;
}

/** Runs a program of this file's opcodes on an IPv4 source (for tests: same answers as the kernel). */
export function runSteering(program: Uint8Array, ipVersion: 4 | 6, source: number): number {
  const view = new DataView(program.buffer, program.byteOffset, program.byteLength);
  let a = 0;
  let x = 0;
  const mem = [0];
  for (let pc = 0, steps = 0; steps < MAX_INSNS * 2; steps++) {
    const code = view.getUint16(pc * 8, LE), jt = view.getUint8(pc * 8 + 2), jf = view.getUint8(pc * 8 + 3);
    const k = view.getUint32(pc * 8 + 4, LE);
    switch (code) {
      case LD_B_ABS: a = ipVersion << 4; break;
      case LD_W_ABS: a = source >>> 0; break;
      case ALU_RSH_K: a >>>= k; break;
      case JMP_JA: pc += k; break;
      case JMP_JEQ_K: pc += a === k ? jt : jf; break;
      case JMP_JGT_K: pc += a > k ? jt : jf; break;
      case RET_K: return k;
      case RET_A: return a;
      case TAX: x = a; break;
      case TXA: a = x; break;
      case ALU_XOR_X: a = (a ^ x) >>> 0; break;
      case ALU_AND_K: a = (a & k) >>> 0; break;
      case ALU_MOD_K: a %= k; break;
      case ALU_MUL_K: a = Math.imul(a, k) >>> 0; break;
      case ALU_ADD_K: a = (a + k) >>> 0; break;
      case ST: mem[k] = a; break;
      case LD_MEM: a = mem[k]!; break;
      default: throw new Error(`opcode ${code} at ${pc}`);
    }
    pc++;
  }
  throw new Error('program did not return');
}
