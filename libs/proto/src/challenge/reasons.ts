/**
 * Why an answer was rejected (or why no challenge was sent). Stable strings: they are metric labels,
 * log fields and part of the service's `verify` reply. The order of the verify reasons is the order
 * of the checks (libs/puzzle `verify`).
 */
export const VerifyReason = {
  /** Not an answer packet: short, wrong magic, wrong version, bad difficulty or sub-puzzle count. */
  MALFORMED: 'malformed',
  /** Key id is not in the ring, or its acceptance window has passed. */
  UNKNOWN_KEY: 'unknown_key',
  /** Older than the validity window. */
  EXPIRED: 'expired',
  /** Issued later than now plus the allowed clock skew. */
  FUTURE: 'future',
  /** The client address in the answer is not the packet's source address. */
  WRONG_ADDRESS: 'wrong_address',
  /** The client port in the answer is not the packet's source port. */
  WRONG_PORT: 'wrong_port',
  /** Tag mismatch otherwise: a field was altered, or it was issued for another protected service. */
  BAD_TAG: 'bad_tag',
  /** Effective work (difficulty + log2 sub-puzzles) below the current floor for the service. */
  DIFFICULTY_BELOW_FLOOR: 'difficulty_below_floor',
  /** A solution does not have enough leading zero bits. */
  BAD_SOLUTION: 'bad_solution',
  /** This challenge was already answered during its key epoch. */
  REPLAYED: 'replayed',
  /** The replay filter of this epoch is full: refuse rather than risk accepting a replay. */
  REPLAY_FILTER_FULL: 'replay_filter_full',
} as const;
export type VerifyReason = (typeof VerifyReason)[keyof typeof VerifyReason];

/** Why `issue` produced no challenge. */
export const IssueRefusal = {
  /** The trigger packet is smaller than a challenge: replying would amplify. */
  TRIGGER_TOO_SMALL: 'trigger_too_small',
  /** The per-source or per-source-prefix token bucket is empty. */
  RATE_LIMITED_SOURCE: 'rate_limited_source',
  RATE_LIMITED_PREFIX: 'rate_limited_prefix',
  /** The bucket of the protected service's prefix is empty (a global cap per protected network). */
  RATE_LIMITED_TARGET: 'rate_limited_target',
  /** No key in the ring is current at this time (keys not yet received). */
  NO_CURRENT_KEY: 'no_current_key',
} as const;
export type IssueRefusal = (typeof IssueRefusal)[keyof typeof IssueRefusal];

/** DecodeError codes for challenge-protocol bytes decoded off the hot path (tokens, records). */
export const ChallengeDecodeCode = {
  SHORT: 'FS_ERR_PROTO_CHALLENGE_SHORT',
  MAGIC: 'FS_ERR_PROTO_CHALLENGE_MAGIC',
  VERSION: 'FS_ERR_PROTO_CHALLENGE_VERSION',
  FIELD: 'FS_ERR_PROTO_CHALLENGE_FIELD',
  JSON: 'FS_ERR_PROTO_CHALLENGE_JSON',
} as const;
export type ChallengeDecodeCode = (typeof ChallengeDecodeCode)[keyof typeof ChallengeDecodeCode];

/** Why a verified token was refused (libs/puzzle TokenVerifier). Cheap checks run before the signature. */
export const TokenReason = {
  MALFORMED: 'malformed',
  UNKNOWN_SIGNER: 'unknown_signer',
  EXPIRED: 'expired',
  NOT_YET_VALID: 'not_yet_valid',
  WRONG_ADDRESS: 'wrong_address',
  WRONG_PORT: 'wrong_port',
  WRONG_TARGET: 'wrong_target',
  BAD_SIGNATURE: 'bad_signature',
} as const;
export type TokenReason = (typeof TokenReason)[keyof typeof TokenReason];
