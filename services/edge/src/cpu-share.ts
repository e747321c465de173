/**
 * One tenant's share of the edge's program CPU time, as a token bucket in nanoseconds: it refills
 * at `nsPerSecond`, holds at most one second of it, and is charged what each batch really took
 * (process.hrtime around the run). A batch may overdraw it; the tenant is then shed — its packets
 * take the fail verdict without running — until the share has refilled above zero. So a tenant
 * whose program runs to the budget cap on every packet costs the others at most its share.
 */
export class CpuShare {
  private balance: number;
  private last: bigint;

  constructor(private readonly nsPerSecond: number, now: bigint = process.hrtime.bigint()) {
    this.balance = nsPerSecond;
    this.last = now;
  }

  /** Whether the tenant may run now (refills first). */
  admit(now: bigint): boolean {
    const elapsed = Number(now - this.last);
    this.last = now;
    this.balance = Math.min(this.nsPerSecond, this.balance + (elapsed * this.nsPerSecond) / 1e9);
    return this.balance > 0;
  }

  charge(ns: bigint): void {
    this.balance -= Number(ns);
  }
}
