import { classifyUdp, readCaptureRecords, toCapturePacket, type CaptureRecord } from '../capture/index.js';
import { ProgramInstance, type EngineName, type LoadedProgram, type PacketMeta, type TraceStep, type VmFault } from '@flowshield/vm';
import { Firewall, FirewallStep, type RuleSet } from '@flowshield/rules';
import { TestHost } from './test-host.js';
import { withHelperErrors } from './helper-errors.js';

export type FailVerdict = 'pass' | 'drop';

/** What happened to one packet of the capture. */
export interface PacketOutcome {
  index: number;
  verdict: 'pass' | 'drop';
  /** why the program did not run on it (not IP, not UDP, fragment, truncated) */
  ignored: string | null;
  challenge: Uint8Array | null;
  status: { from: number; to: number; expiry: number } | null;
  tag: bigint | null;
  /** the run's fault (with its source line, when the object has line info) or bad return value; the verdict is then the fail verdict */
  error: string | null;
  /** helpers that refused or failed during the run, "name: reason" (a challenge larger than its trigger, …) */
  helperErrors: string[];
  printed: string[];
  trace: TraceStep[] | null;
  record: CaptureRecord;
  /** with rules: what the firewall did before the program (block: dropped, allow: passed, both without the program) */
  firewall: { matched: string[]; action: string | null; rule: string | null } | null;
}

export interface CaptureSummary {
  packets: number;
  pass: number;
  drop: number;
  ignored: number;
  errors: number;
  /** helper refusals and failures (present only when there were any, so a clean run's summary stays as it was) */
  helperErrors?: number;
  challenges: number;
  statusChanges: number;
}

export interface RunCaptureOptions {
  failVerdict?: FailVerdict;
  trace?: boolean;
  /** default wasm; a trace always runs on the interpreter */
  engine?: EngineName;
  host?: TestHost;
  /** the firewall, run before the program as the edge runs it */
  rules?: RuleSet;
}

function toMapped(address: Uint8Array): Uint8Array {
  if (address.length === 16) return address;
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out.set(address, 12);
  return out;
}

/** One capture packet as a program input, or the reason the program does not see it. */
export type PacketInput =
  | { record: CaptureRecord; now: number; ignored: null; ip: Uint8Array; meta: PacketMeta }
  | { record: CaptureRecord; now: number; ignored: string; ip: null; meta: null };

/** The capture's packets in order, with time from their timestamps (the last known one when absent). */
export function* packetInputs(capture: Uint8Array): Generator<PacketInput> {
  let now = 0;
  for (const record of readCaptureRecords(capture)) {
    if (record.timestampNs !== null) now = Number(record.timestampNs / 1000n) / 1e6;
    const packet = toCapturePacket(record);
    if (packet.ip === null) {
      yield { record, now, ignored: packet.notIp?.reason ?? 'not-ip', ip: null, meta: null };
      continue;
    }
    const udp = classifyUdp(packet.ip);
    if (udp.kind === 'not-udp') {
      yield { record, now, ignored: udp.reason, ip: null, meta: null };
      continue;
    }
    const meta: PacketMeta = {
      srcIp: toMapped(udp.srcAddress),
      dstIp: toMapped(udp.dstAddress),
      srcPort: udp.srcPort,
      dstPort: udp.dstPort,
      ipVersion: udp.srcAddress.length === 4 ? 4 : 6,
      payload: packet.ip.subarray(udp.payloadOffset, udp.payloadOffset + udp.payloadLength),
    };
    yield { record, now, ignored: null, ip: packet.ip, meta };
  }
}

/**
 * Runs a program over every packet of a capture in order, with state carried from packet to
 * packet as it would be live, and yields one outcome per packet.
 */
export function* runCapture(program: LoadedProgram, capture: Uint8Array, options: RunCaptureOptions = {}): Generator<PacketOutcome> {
  const host = options.host ?? new TestHost();
  const noted = withHelperErrors(program);
  const instance = new ProgramInstance(noted.program, host, { engine: options.engine ?? (options.trace ? 'interp' : 'wasm') });
  const failVerdict = options.failVerdict ?? 'drop';
  const firewall = new Firewall();
  firewall.swap(options.rules ?? null);
  for (const input of packetInputs(capture)) {
    const base = { index: input.record.index, challenge: null, status: null, tag: null, error: null, helperErrors: [], printed: [], trace: null, record: input.record, firewall: null };
    host.now = input.now;
    if (input.ignored !== null) {
      yield { ...base, verdict: 'pass', ignored: input.ignored };
      continue;
    }
    // The edge's step (libs/rules Firewall): block drops and allow passes, both without the
    // program; skip, run and no decision go on to it.
    const step = firewall.step(input.ip, 0, input.ip.length);
    const rulesOutcome = options.rules ? firewall.outcome() : null;
    if (step !== FirewallStep.PROGRAM) {
      yield { ...base, verdict: step === FirewallStep.DROP ? 'drop' : 'pass', ignored: null, firewall: rulesOutcome };
      continue;
    }
    const trace: TraceStep[] | undefined = options.trace ? [] : undefined;
    const result = instance.run(input.ip, input.meta, input.now, { trace });
    const { effects } = result;
    const error = result.fault ? withSourceLine(program, result.fault) : result.verdict === 'error' ? `program returned ${result.r0}, which its type does not define` : null;
    yield {
      ...base,
      verdict: result.verdict === 'error' ? failVerdict : result.verdict,
      ignored: null,
      challenge: effects.challenge,
      status: effects.statusChange,
      tag: effects.tag,
      error,
      helperErrors: noted.take(),
      printed: effects.printed,
      trace: trace ?? null,
      firewall: rulesOutcome,
    };
  }
}

/** "instruction N (file.c:LINE): reason", as the verifier names the line of what it refuses. */
function withSourceLine(program: LoadedProgram, fault: VmFault): string {
  const source = program.object.lineOf(fault.index);
  if (!source) return fault.message;
  return fault.message.replace(/^instruction (\d+):/, `instruction $1 (${source.file.split('/').pop()}:${source.line}):`) + (source.text ? ` — ${source.text.trim()}` : '');
}

export function summarize(outcomes: readonly PacketOutcome[]): CaptureSummary {
  const summary: CaptureSummary = { packets: outcomes.length, pass: 0, drop: 0, ignored: 0, errors: 0, challenges: 0, statusChanges: 0 };
  for (const o of outcomes) {
    if (o.ignored) summary.ignored++;
    else summary[o.verdict]++;
    if (o.error) summary.errors++;
    if (o.helperErrors.length) summary.helperErrors = (summary.helperErrors ?? 0) + o.helperErrors.length;
    if (o.challenge) summary.challenges++;
    if (o.status) summary.statusChanges++;
  }
  return summary;
}
