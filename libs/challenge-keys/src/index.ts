/**
 * libs/challenge-keys: what an edge runs to receive per-epoch challenge keys (never the master
 * secret), token public keys and its tenants' HMAC keys.
 */
export { EpochKeyFollower } from './epoch-key-follower.js';
export type { EpochKeyFollowerOptions } from './epoch-key-follower.js';
export { PublicKeyFollower } from './public-key-follower.js';
export type { PublicKeyFollowerOptions } from './public-key-follower.js';
export { TenantKeyFollower } from './tenant-key-follower.js';
export type { TenantKeyFollowerOptions } from './tenant-key-follower.js';
