import type { StatusEvent } from '@flowshield/proto';

/** The fields that order events; also the shape of the replica's high-water mark. */
export type EventOrder = Pick<StatusEvent, 'hlcWall' | 'hlcLogical' | 'edgeId' | 'seq'>;

/**
 * The merge rule (DESIGN.md section 5): a last-writer-wins register per (tenant, IP), ordered by
 * (HLC wall, HLC logical, edge id), then the edge's own sequence so that even two events an edge
 * stamped alike have one winner. A total order makes the merge commutative, associative and
 * idempotent: any order, batching or duplication of the same events ends in the same state.
 */
export function compareEvents(a: EventOrder, b: EventOrder): number {
  if (a.hlcWall !== b.hlcWall) return a.hlcWall < b.hlcWall ? -1 : 1;
  if (a.hlcLogical !== b.hlcLogical) return a.hlcLogical < b.hlcLogical ? -1 : 1;
  if (a.edgeId !== b.edgeId) return a.edgeId < b.edgeId ? -1 : 1;
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
  return 0;
}

/** True when `incoming` replaces `current` in the register. */
export function supersedes(incoming: StatusEvent, current: StatusEvent | undefined): boolean {
  return current === undefined || compareEvents(incoming, current) > 0;
}

/** An entry whose expiry has passed reads as NONE (no entry). Expiry 0 never lapses. */
export function isExpired(event: Pick<StatusEvent, 'expiry'>, nowSeconds: number): boolean {
  return event.expiry !== 0 && event.expiry <= nowSeconds;
}
