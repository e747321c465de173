import type { DecodedProgram } from '../isa/decode.js';
import { AluOp, AtomicOp, CallKind, Mode, modeOf, opOf, sourceOf, Source } from '../isa/opcodes.js';

/*
 * What each instruction requires before it may run (PREVAIL's assertions): registers it reads are
 * initialised, the register it writes is not r10, memory it touches is valid for the access, a
 * call's arguments match the helper's prototype, the entry function returns a scalar.
 * `check.ts` decides whether each holds in a given state.
 */
export type Assertion =
  | { readonly a: 'initialised'; readonly reg: number }
  | { readonly a: 'not-frame-pointer'; readonly reg: number }
  | { readonly a: 'access'; readonly base: number; readonly offset: number; readonly width: number; readonly write: boolean; readonly signExtend: boolean }
  | { readonly a: 'packet-load' }
  | { readonly a: 'helper'; readonly id: number }
  | { readonly a: 'callx'; readonly reg: number }
  | { readonly a: 'local-call' }
  | { readonly a: 'exit' };

export function assertionsFor(program: DecodedProgram, i: number): Assertion[] {
  const info = program.infos[i]!;
  const inst = program.slots[i]!;
  const list: Assertion[] = [];
  const reads = (reg: number) => list.push({ a: 'initialised', reg });
  const writes = (reg: number) => list.push({ a: 'not-frame-pointer', reg });
  switch (info.kind) {
    case 'alu':
      if (opOf(inst.opcode) !== AluOp.MOV) reads(inst.dst);
      if (sourceOf(inst.opcode) === Source.X) reads(inst.src);
      writes(inst.dst);
      break;
    case 'neg':
    case 'end':
      reads(inst.dst);
      writes(inst.dst);
      break;
    case 'lddw':
      writes(inst.dst);
      break;
    case 'ld-abs':
    case 'ld-ind':
      if (info.kind === 'ld-ind') reads(inst.src);
      list.push({ a: 'packet-load' });
      break;
    case 'ldx':
      reads(inst.src);
      writes(inst.dst);
      list.push({ a: 'access', base: inst.src, offset: inst.offset, width: info.width, write: false, signExtend: modeOf(inst.opcode) === Mode.MEMSX });
      break;
    case 'st':
      reads(inst.dst);
      list.push({ a: 'access', base: inst.dst, offset: inst.offset, width: info.width, write: true, signExtend: false });
      break;
    case 'stx':
      reads(inst.dst);
      reads(inst.src);
      list.push({ a: 'access', base: inst.dst, offset: inst.offset, width: info.width, write: true, signExtend: false });
      break;
    case 'atomic':
      reads(inst.dst);
      reads(inst.src);
      if (inst.imm === AtomicOp.CMPXCHG) reads(0);
      else if (inst.imm & AtomicOp.FETCH) writes(inst.src);
      // An atomic reads the old value and writes the new one.
      list.push({ a: 'access', base: inst.dst, offset: inst.offset, width: info.width, write: false, signExtend: false });
      list.push({ a: 'access', base: inst.dst, offset: inst.offset, width: info.width, write: true, signExtend: false });
      break;
    case 'jcond':
      reads(inst.dst);
      if (sourceOf(inst.opcode) === Source.X) reads(inst.src);
      break;
    case 'call':
      list.push(inst.src === CallKind.LOCAL ? { a: 'local-call' } : { a: 'helper', id: inst.imm });
      break;
    case 'callx':
      reads(inst.dst);
      list.push({ a: 'callx', reg: inst.dst });
      break;
    case 'exit':
      list.push({ a: 'exit' });
      break;
    case 'ja':
    case 'ja32':
      break;
  }
  return list;
}
