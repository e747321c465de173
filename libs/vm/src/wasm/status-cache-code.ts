import binaryen from 'binaryen';
import { STACK_ADDRESS, STACK_BYTES } from '../memory.js';
import {
  CTRL_NOW, CTRL_PACKET_LENGTH, CTRL_STACK_LOW, CTRL_STATUS_GEN, CTRL_STATUS_SEED, STATUS_ABSENT, STATUS_ASK_HOST, STATUS_ENTRY_BYTES,
  STATUS_ENTRY_EXPIRY, STATUS_ENTRY_EXPIRY_U64, STATUS_ENTRY_GEN, STATUS_ENTRY_KEY, STATUS_ENTRY_STATUS,
} from './layout.js';
import { STATUS_HASH_FOLD, STATUS_HASH_MULTIPLIER, STATUS_HASH_SHIFT } from './status-cache.js';

const { i32, i64 } = binaryen;
/** PFP's packet region: u64 total length, u64 IP header length, then the IP packet. */
const PFP_IP_OFFSET = 16;

/**
 * src_ip_status(r1, r2, r3, r4) -> i64: PFP's get_src_ip_status(status_out, status_size,
 * expiry_out, expiry_size) answered from the status cache, or STATUS_ASK_HOST whenever the
 * answer is not plainly there — the cache off, a packet that is not IPv4 or IPv6 of a full
 * header, a miss or a stale entry, an expired status, or arguments the host's helper would
 * refuse or must check itself (anything but stack buffers of the sizes it needs). So every
 * answer it gives is the host helper's answer for the same state (pfp-helpers.ts).
 */
export function addSrcIpStatus(m: binaryen.Module, cache: number, packetAddress: number): void {
  const [A1, A2, A3, A4, K0, K1, E, S, H] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const g64 = (n: number) => m.local.get(n, i64);
  const c = (n: number) => m.i32.const(n);
  const c64 = (n: number) => m.i64.const(BigInt(n));
  // A fresh node per use: binaryen's expressions form a tree, never shared.
  const ask = () => m.return(c64(STATUS_ASK_HOST));
  const ip = packetAddress + PFP_IP_OFFSET;
  const version = () => m.i32.shr_u(m.i32.load8_u(0, 1, c(ip)), c(4));
  const length = () => m.i32.load(0, 4, c(CTRL_PACKET_LENGTH));
  const word = (x: binaryen.ExpressionRef) => m.i32.wrap(x);
  const high = (x: binaryen.ExpressionRef) => m.i32.wrap(m.i64.shr_u(x, c64(32)));
  // [address, address + size) inside the stack (what the host's helper may write there)
  const onStack = (address: binaryen.ExpressionRef, size: number) => m.i64.le_u(m.i64.sub(address, c64(STACK_ADDRESS)), c64(STACK_BYTES - size));
  const sizeAtLeast = (n: number, at: number) => m.i32.and(m.i64.ge_u(g64(n), c64(at)), m.i64.lt_u(g64(n), c64(2 ** 53)));
  const lower = (address: () => binaryen.ExpressionRef) => m.if(
    m.i32.lt_u(address(), m.i32.load(0, 4, c(CTRL_STACK_LOW))),
    m.i32.store(0, 4, c(CTRL_STACK_LOW), address()),
  );
  const entry = (offset: number) => m.i32.add(m.local.get(E, i32), c(offset));
  m.addFunction('src_ip_status', binaryen.createType([i64, i64, i64, i64]), i64, [i64, i64, i32, i32, i32], m.block(null, [
    m.if(m.i32.eqz(m.i32.load(0, 4, c(CTRL_STATUS_GEN))), ask()),
    // the source as the host keys it: IPv4 mapped into IPv6 (::ffff:a.b.c.d), IPv6 as it is
    m.if(m.i32.eq(version(), c(4)),
      m.block(null, [
        m.if(m.i32.lt_u(length(), c(20)), ask()),
        m.local.set(K0, c64(0)),
        m.local.set(K1, m.i64.or(c64(0xffff0000), m.i64.shl(m.i64.extend_u(m.i32.load(0, 1, c(ip + 12))), c64(32)))),
      ]),
      m.block(null, [
        m.if(m.i32.or(m.i32.ne(version(), c(6)), m.i32.lt_u(length(), c(40))), ask()),
        m.local.set(K0, m.i64.load(0, 1, c(ip + 8))),
        m.local.set(K1, m.i64.load(0, 1, c(ip + 16))),
      ])),
    // status-cache.ts's hash: the seed, then per 32-bit word of the key: xor, multiply, fold
    m.local.set(H, m.i32.load(0, 4, c(CTRL_STATUS_SEED))),
    ...[() => word(g64(K0)), () => high(g64(K0)), () => word(g64(K1)), () => high(g64(K1))].flatMap((w) => [
      m.local.set(H, m.i32.mul(m.i32.xor(m.local.get(H, i32), w()), c(STATUS_HASH_MULTIPLIER))),
      m.local.set(H, m.i32.xor(m.local.get(H, i32), m.i32.shr_u(m.local.get(H, i32), c(STATUS_HASH_FOLD)))),
    ]),
    m.local.set(E, m.i32.add(c(cache), m.i32.mul(c(STATUS_ENTRY_BYTES), m.i32.shr_u(m.local.get(H, i32), c(STATUS_HASH_SHIFT))))),
    m.if(m.i32.or(
      m.i32.or(m.i64.ne(m.i64.load(0, 8, entry(STATUS_ENTRY_KEY)), g64(K0)), m.i64.ne(m.i64.load(0, 8, entry(STATUS_ENTRY_KEY + 8)), g64(K1))),
      m.i32.ne(m.i32.load(0, 4, entry(STATUS_ENTRY_GEN)), m.i32.load(0, 4, c(CTRL_STATUS_GEN))),
    ), ask()),
    // the host's argument checks, where it would answer at all
    m.if(m.i32.and(m.i64.eqz(g64(A1)), m.i64.eqz(g64(A3))), ask()),
    m.if(m.i32.and(m.i64.ne(g64(A1), c64(0)), m.i32.eqz(m.i32.and(sizeAtLeast(A2, 1), onStack(g64(A1), 1)))), ask()),
    m.if(m.i32.and(m.i64.ne(g64(A3), c64(0)), m.i32.eqz(m.i32.and(sizeAtLeast(A4, 8), onStack(g64(A3), 8)))), ask()),
    m.local.set(S, m.i32.load(0, 4, entry(STATUS_ENTRY_STATUS))),
    m.if(m.i32.eq(m.local.get(S, i32), c(STATUS_ABSENT)), m.return(c64(-1))),
    // an entry past its expiry: what the host answers then is its business (it may fall back to another source)
    m.if(m.i32.and(
      m.f64.ne(m.f64.load(0, 8, entry(STATUS_ENTRY_EXPIRY)), m.f64.const(0)),
      m.f64.le(m.f64.load(0, 8, entry(STATUS_ENTRY_EXPIRY)), m.f64.load(0, 8, c(CTRL_NOW))),
    ), ask()),
    m.if(m.i64.ne(g64(A1), c64(0)), m.block(null, [
      m.i32.store8(0, 1, word(g64(A1)), m.local.get(S, i32)),
      lower(() => word(g64(A1))),
    ])),
    m.if(m.i64.ne(g64(A3), c64(0)), m.block(null, [
      m.i64.store(0, 1, word(g64(A3)), m.i64.load(0, 8, entry(STATUS_ENTRY_EXPIRY_U64))),
      lower(() => word(g64(A3))),
    ])),
    c64(0),
  ], i64));
}
