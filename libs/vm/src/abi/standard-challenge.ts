import { IssueRefusal, isAnswerPacket, VerifyReason } from '@flowshield/proto';
import type { Difficulty, PuzzleEngine } from '@flowshield/puzzle';
import type { ChallengeEngine, PacketMeta } from './host.js';

/**
 * The answer codes of fs_verify_challenge (flowshield.h FS_ANSWER_*): −(1 + position) of each
 * reason in VerifyReason's order, so the header and the engine cannot drift apart silently.
 */
export const ANSWER_CODES: ReadonlyMap<string, number> = new Map(Object.values(VerifyReason).map((reason, i) => [reason, -(1 + i)]));

export interface StandardChallengeOptions {
  engine: PuzzleEngine;
  /** difficulty to issue at, per protected service (tuned by the challenge service) */
  difficulty: (meta: PacketMeta) => Difficulty;
  /** lowest effective work accepted now */
  floorBits: (meta: PacketMeta) => number;
}

/** Helpers 64 and 65 on top of libs/puzzle: stateless challenges bound to the packet's addresses. */
export class StandardChallenge implements ChallengeEngine {
  constructor(private readonly options: StandardChallengeOptions) {}

  issue(meta: PacketMeta): Uint8Array | -4 | -5 | -6 {
    const outcome = this.options.engine.issue({
      client: { address: meta.srcIp, port: meta.srcPort },
      target: { address: meta.dstIp, port: meta.dstPort },
      triggerSize: meta.payload.length,
      difficulty: this.options.difficulty(meta),
    });
    if (outcome.ok) return outcome.packet;
    switch (outcome.reason) {
      case IssueRefusal.TRIGGER_TOO_SMALL: return -4;
      case IssueRefusal.NO_CURRENT_KEY: return -5;
      default: return -6;
    }
  }

  verify(meta: PacketMeta): number {
    if (!isAnswerPacket(meta.payload)) return 0;
    const outcome = this.options.engine.verify(meta.payload, {
      client: { address: meta.srcIp, port: meta.srcPort },
      target: { address: meta.dstIp, port: meta.dstPort },
      floorBits: this.options.floorBits(meta),
    });
    return outcome.ok ? 1 : (ANSWER_CODES.get(outcome.reason) ?? -1);
  }
}
