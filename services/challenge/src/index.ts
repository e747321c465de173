/** services/challenge: see README.md and ../shared/DESIGN.md sections 1 and 6. */
export { ChallengeService } from './service.js';
export type { ChallengeServiceOptions } from './service.js';
export { EpochSchedule } from './epoch-schedule.js';
export type { EpochTimes, EpochScheduleOptions } from './epoch-schedule.js';
export { DifficultyController, DEFAULT_DIFFICULTY_POLICY } from './difficulty-controller.js';
export type { DifficultyPolicy, ServiceDifficulty } from './difficulty-controller.js';
export { EpochKeyFollower } from '@flowshield/challenge-keys';
export type { EpochKeyFollowerOptions } from '@flowshield/challenge-keys';
export { TokenIssuer } from './token-issuer.js';
export { deriveEpochKey, deriveSigningSeed, parseMasterKey } from './key-derivation.js';
export { ChallengeMetrics } from './metrics.js';
export { ChallengeConfigError, BadRequestError, ChallengeErrorCode } from './errors.js';
