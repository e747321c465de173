/**
 * The least work an answer must show on this edge. The challenge service publishes a floor (the
 * lowest difficulty it had edges issue during the validity window), but it cannot know what this
 * edge issued before its record arrived: the edge starts on its configured difficulty, and a record
 * raising the floor above that would refuse answers the edge itself asked for — on a loaded machine
 * the record often lands between a challenge and its answer. So the floor in force is the lower of
 * the published one and every difficulty this edge issued at within the validity window.
 */
export class DifficultyFloor {
  /** (bits, until): difficulties this edge stopped issuing at, and when their answers lapse */
  private retired: { bits: number; untilMs: number }[] = [];
  private published = 0;

  constructor(private issuingBits: number, private readonly validityMs: number) {}

  /** A new difficulty from the challenge service, at nowMs. */
  update(bits: number, floorBits: number, nowMs: number): void {
    if (bits !== this.issuingBits) {
      this.retired.push({ bits: this.issuingBits, untilMs: nowMs + this.validityMs });
      this.issuingBits = bits;
    }
    this.published = floorBits;
  }

  bitsAt(nowMs: number): number {
    let floor = Math.min(this.published, this.issuingBits);
    if (this.retired.length > 0) {
      this.retired = this.retired.filter((r) => r.untilMs >= nowMs);
      for (const r of this.retired) floor = Math.min(floor, r.bits);
    }
    return floor;
  }
}
