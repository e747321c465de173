import { Status } from '@flowshield/proto';

/**
 * Whether a status transition must reach every edge (an event), or stays on the edge that made
 * it. NONE and CHALLENGED let no source in and keep none out: a challenge is stateless (it carries
 * everything needed to check its answer, on any edge), so a source moving between the two tells
 * other edges nothing they need. Every spoofed address of a flood is such a first contact; keeping
 * them local is what makes spoofed sources cost nothing downstream (no stream message, no replica
 * entry). What other edges must know is published: a source becoming VERIFIED or BLOCKED, and
 * leaving VERIFIED or BLOCKED (a downgrade by a program, an unblock).
 *
 * `prev` is the status as the edge reads it now (an expired entry reads NONE), so a source whose
 * VERIFIED or BLOCKED status lapsed and which is challenged again is a first contact too.
 */
export function isFleetTransition(prev: number, next: number): boolean {
  return !(isOpen(prev) && isOpen(next));
}

/** NONE or CHALLENGED: a status that decides nothing beyond "challenge it". */
function isOpen(status: number): boolean {
  return status === Status.NONE || status === Status.CHALLENGED;
}
