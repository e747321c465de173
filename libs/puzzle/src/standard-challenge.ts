import { CHALLENGE_SIZE, IssueRefusal, isAnswerPacket, VerifyReason } from '@flowshield/proto';
import type { Difficulty, PuzzleEngine } from './engine.js';

/**
 * The answer codes of fs_verify_challenge (flowshield.h FS_ANSWER_*): −(1 + position) of each
 * reason in VerifyReason's order, so the header and the engine cannot drift apart silently.
 */
export const ANSWER_CODES: ReadonlyMap<VerifyReason, number> = new Map(Object.values(VerifyReason).map((reason, i) => [reason, -(1 + i)]));

/** The fields of a program run the standard challenge reads (libs/vm's PacketMeta has them). */
export interface ChallengePacket {
  srcIp: Uint8Array;
  dstIp: Uint8Array;
  srcPort: number;
  dstPort: number;
  /** the UDP payload: what an answer arrives in and what a challenge may not exceed */
  payload: Uint8Array;
}

export interface StandardChallengeOptions {
  engine: PuzzleEngine;
  /** difficulty to issue at, per protected service (tuned by the challenge service) */
  difficulty: (packet: ChallengePacket) => Difficulty;
  /** lowest effective work accepted now */
  floorBits: (packet: ChallengePacket) => number;
  /**
   * Told every rejected answer with the engine's reason, whatever the program then does with
   * the code: the edge counts them by reason (fs_edge_answers_rejected_total).
   */
  onRejected?: (reason: VerifyReason, packet: ChallengePacket) => void;
}

/**
 * Helpers 64 and 65 on top of the puzzle engine: stateless challenges bound to the packet's
 * addresses. It has the shape of libs/vm's ChallengeEngine, which the VM declares and the host
 * (edge, `flowshield test`) supplies, so the VM itself imports nothing from the workspace.
 */
export class StandardChallenge {
  readonly challengeBytes = CHALLENGE_SIZE;

  constructor(private readonly options: StandardChallengeOptions) {}

  /** A challenge payload, or fs_issue_challenge's code: -4 trigger too small, -5 no key, -6 limited. */
  issue(packet: ChallengePacket): Uint8Array | -4 | -5 | -6 {
    const outcome = this.options.engine.issue({
      client: { address: packet.srcIp, port: packet.srcPort },
      target: { address: packet.dstIp, port: packet.dstPort },
      triggerSize: packet.payload.length,
      difficulty: this.options.difficulty(packet),
    });
    if (outcome.ok) return outcome.packet;
    switch (outcome.reason) {
      case IssueRefusal.TRIGGER_TOO_SMALL: return -4;
      case IssueRefusal.NO_CURRENT_KEY: return -5;
      default: return -6;
    }
  }

  /** 1 valid, 0 not an answer, otherwise the negative FS_ANSWER_* code of the failed check. */
  verify(packet: ChallengePacket): number {
    if (!isAnswerPacket(packet.payload)) return 0;
    const outcome = this.options.engine.verify(packet.payload, {
      client: { address: packet.srcIp, port: packet.srcPort },
      target: { address: packet.dstIp, port: packet.dstPort },
      floorBits: this.options.floorBits(packet),
    });
    if (outcome.ok) return 1;
    this.options.onRejected?.(outcome.reason, packet);
    return ANSWER_CODES.get(outcome.reason) ?? -1;
  }
}
