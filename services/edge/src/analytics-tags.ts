/** Distinct tag values one tenant gets its own label for (per packet thread); later ones count as `other`. */
export const MAX_ANALYTICS_TAGS = 64;
export const OTHER_TAG = 'other';

/**
 * Packets per network-analytics tag (PFP's `set_network_analytics_tag`, helper 18), for the
 * `fs_edge_analytics_tag_packets_total{tenant,tag}` counter. A tag is any u64 a program chose, so
 * the label values are bounded: the first MAX_ANALYTICS_TAGS distinct tags are counted under
 * their own value, every later one under `other` (and `overflowed` says that happened).
 */
export class AnalyticsTags {
  readonly counts = new Map<string, number>();
  overflowed = 0;

  constructor(private readonly max = MAX_ANALYTICS_TAGS) {}

  /** Counts one packet; returns the label it was counted under. */
  count(tag: bigint): string {
    let label = tag.toString();
    if (!this.counts.has(label) && this.counts.size >= this.max) {
      label = OTHER_TAG;
      this.overflowed++;
    }
    this.counts.set(label, (this.counts.get(label) ?? 0) + 1);
    return label;
  }
}
