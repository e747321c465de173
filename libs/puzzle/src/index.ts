/**
 * libs/puzzle: the challenge engine (DESIGN.md sections 2 and 6). Pure: no I/O, time injected.
 * The edge embeds PuzzleEngine + KeyRing + ChallengeLimiter + TokenVerifier in its packet path; the
 * SDK uses Solver; services/challenge uses all of it.
 */
export { PuzzleEngine, splitDifficulty } from './engine.js';
export type { Difficulty, PuzzleEngineOptions, IssueRequestFields, IssueOutcome, VerifyContext, VerifyOutcome } from './engine.js';
export { KeyRing, EpochKey } from './key-ring.js';
export type { EpochKeyInit, EpochKeyInfo, KeyRingOptions } from './key-ring.js';
export { ReplayFilter } from './replay-filter.js';
export { StandardChallenge, ANSWER_CODES } from './standard-challenge.js';
export type { StandardChallengeOptions, ChallengePacket } from './standard-challenge.js';
export { ChallengeLimiter } from './challenge-limiter.js';
export type { ChallengeLimiterOptions } from './challenge-limiter.js';
export { TokenBucketTable } from './token-bucket.js';
export type { BucketRate } from './token-bucket.js';
export { Solver, solveChallenge, expectedTries } from './solver.js';
export type { SolveProgress, SolveOptions } from './solver.js';
export { PowHasher, leadingZeroBits, hasLeadingZeroBits } from './pow.js';
export { TokenVerifier } from './token-verifier.js';
export type { TokenOutcome, TokenVerifierOptions } from './token-verifier.js';
export { PuzzleConfigError, SolveAbortedError, PuzzleErrorCode } from './errors.js';
// Reason codes live with the wire formats; re-exported so the edge needs one import.
export { VerifyReason, IssueRefusal, TokenReason } from '@flowshield/proto';
