/** libs/challenge-keys: what an edge runs to receive per-epoch challenge keys (never the master secret). */
export { EpochKeyFollower } from './epoch-key-follower.js';
export type { EpochKeyFollowerOptions } from './epoch-key-follower.js';
