import { VerifyReason } from '@flowshield/puzzle';

/** The `reason` label of fs_edge_answers_rejected_total: the seven, stable for dashboards. */
export const REJECTION_LABELS = ['malformed', 'bad_tag', 'expired', 'replayed', 'wrong_address', 'wrong_port', 'bad_solution'] as const;
export type RejectionLabel = (typeof REJECTION_LABELS)[number];

/**
 * The engine's reasons folded onto the labels (services/edge/README.md):
 *   unknown_key            -> bad_tag       the tag cannot be checked under any key held
 *   future                 -> expired       outside the validity window, on the other side
 *   difficulty_below_floor -> bad_solution  not enough work for the current floor
 *   replay_filter_full     -> replayed      a replay cannot be ruled out
 */
export const REJECTION_LABEL: Readonly<Record<VerifyReason, RejectionLabel>> = {
  [VerifyReason.MALFORMED]: 'malformed',
  [VerifyReason.UNKNOWN_KEY]: 'bad_tag',
  [VerifyReason.EXPIRED]: 'expired',
  [VerifyReason.FUTURE]: 'expired',
  [VerifyReason.WRONG_ADDRESS]: 'wrong_address',
  [VerifyReason.WRONG_PORT]: 'wrong_port',
  [VerifyReason.BAD_TAG]: 'bad_tag',
  [VerifyReason.DIFFICULTY_BELOW_FLOOR]: 'bad_solution',
  [VerifyReason.BAD_SOLUTION]: 'bad_solution',
  [VerifyReason.REPLAYED]: 'replayed',
  [VerifyReason.REPLAY_FILTER_FULL]: 'replayed',
};

/** Rejected answers by label: plain numbers on the packet path, copied into the metric at scrape time. */
export class RejectionCounts {
  readonly byLabel: Record<RejectionLabel, number> = { malformed: 0, bad_tag: 0, expired: 0, replayed: 0, wrong_address: 0, wrong_port: 0, bad_solution: 0 };
  total = 0;

  count(reason: VerifyReason): void {
    this.byLabel[REJECTION_LABEL[reason] ?? 'malformed']++;
    this.total++;
  }
}
