import { decodeChallenge } from '@flowshield/proto';
import { PowHasher } from '@flowshield/puzzle';

/**
 * Solutions that fail every sub-puzzle of a challenge (each needs at least one bit, and the first
 * digest bit of each is 1): an answer with them has a valid tag and a wrong proof of work.
 */
export function wrongSolutions(challenge: Uint8Array): number[] {
  const fields = decodeChallenge(challenge);
  if (typeof fields === 'string') throw new Error(fields);
  const hasher = new PowHasher();
  hasher.load(fields.tag, fields.nonce);
  return Array.from({ length: fields.subPuzzles }, (_, i) => {
    let s = 0;
    while (hasher.check(i, s, 1)) s++;
    return s;
  });
}
