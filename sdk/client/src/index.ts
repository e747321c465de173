/**
 * sdk/client: the game-client side of flowshield challenges (DESIGN.md section 6). See README.md.
 */
export { FlowshieldSocket } from './flowshield-socket.js';
export type { ConnectOptions, ChallengeEvent, VerifiedEvent, FlowshieldSocketEvents } from './flowshield-socket.js';
export { WorkerSolver, InlineSolver } from './worker-solver.js';
export type { ChallengeSolver, SolveResult } from './worker-solver.js';
export { DevResponder } from './dev-responder.js';
export type { DevResponderOptions, ResponderStats } from './dev-responder.js';
export { ClientError, ClientErrorCode } from './errors.js';
export type { SolveProgress } from '@flowshield/puzzle';
