import type { TraceStep } from '@flowshield/vm';
import type { CaptureSummary, PacketOutcome } from './run-capture.js';

const STATUS_NAMES = ['NONE', 'CHALLENGED', 'VERIFIED', 'BLOCKED'];
const statusName = (s: number) => STATUS_NAMES[s] ?? String(s);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const jsonInteger = (v: bigint): number | string => (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString());

/** The `--json` object of one packet (DESIGN.md 4c); `ignored` and `error` appear only when set. */
export function packetJson(o: PacketOutcome): Record<string, unknown> {
  return {
    index: o.index,
    verdict: o.verdict,
    challenge: o.challenge ? hex(o.challenge) : null,
    status: o.status ? { from: o.status.from, to: o.status.to, expiry: o.status.expiry } : null,
    tag: o.tag === null ? null : jsonInteger(o.tag),
    ...(o.ignored ? { ignored: o.ignored } : {}),
    ...(o.error ? { error: o.error } : {}),
    ...(o.helperErrors.length ? { helperErrors: o.helperErrors } : {}),
    ...(o.firewall ? { rules: o.firewall } : {}),
  };
}

export function packetLine(o: PacketOutcome): string {
  const parts = [`#${String(o.index).padEnd(5)}`, o.ignored ? `ignored (${o.ignored})` : o.verdict.padEnd(4)];
  if (o.firewall?.rule) parts.push(`rule ${o.firewall.rule} (${o.firewall.action})`);
  if (o.error) parts.push(`error: ${o.error}`);
  for (const e of o.helperErrors) parts.push(`helper ${e}`);
  if (o.challenge) parts.push(`challenge ${o.challenge.length} bytes ${hex(o.challenge.subarray(0, 16))}${o.challenge.length > 16 ? '…' : ''}`);
  if (o.status) {
    const until = o.status.expiry === 0 ? 'never expires' : `until ${new Date(o.status.expiry * 1000).toISOString()}`;
    parts.push(`status ${statusName(o.status.from)} → ${statusName(o.status.to)} (${until})`);
  }
  if (o.tag !== null) parts.push(`tag ${o.tag}`);
  return parts.join('  ');
}

export function traceLines(steps: readonly TraceStep[]): string[] {
  return steps.map((s) => {
    const regs = s.registers.map((v, r) => (v === 0n ? '' : `r${r}=0x${v.toString(16)}`)).filter(Boolean).join(' ');
    return `    [${String(s.index).padStart(4)}] ${s.text.padEnd(32)} ${regs}`;
  });
}

export function summaryLine(s: CaptureSummary): string {
  return `${s.packets} packets: ${s.pass} pass, ${s.drop} drop, ${s.ignored} ignored (not UDP); ${s.challenges} challenges, ${s.statusChanges} status changes, ${s.errors} program errors${s.helperErrors ? `, ${s.helperErrors} helper errors or refusals (named per packet)` : ''}`;
}

export function annotation(o: PacketOutcome): string {
  if (o.ignored) return `flowshield: ignored (${o.ignored})`;
  const parts = [`flowshield: ${o.verdict}`];
  if (o.error) parts.push(`error=${o.error}`);
  for (const e of o.helperErrors) parts.push(`helper=${JSON.stringify(e)}`);
  if (o.challenge) parts.push(`challenge=${hex(o.challenge)}`);
  if (o.status) parts.push(`status=${statusName(o.status.from)}->${statusName(o.status.to)} expiry=${o.status.expiry}`);
  if (o.tag !== null) parts.push(`tag=${o.tag}`);
  return parts.join(' ');
}
