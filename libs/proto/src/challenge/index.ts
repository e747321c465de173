export {
  CHALLENGE_VERSION, CHALLENGE_MAGIC, ANSWER_MAGIC, HELLO_MAGIC, TOKEN_MAGIC, CHALLENGE_SIZE, ANSWER_HEADER_SIZE,
  HELLO_SIZE, MAC_INPUT_SIZE, TAG_SIZE, NONCE_SIZE, SOLUTION_SIZE, POW_INPUT_SIZE, Offset, MAX_DIFFICULTY_BITS,
  MAX_SUB_PUZZLES, isValidSubPuzzleCount, subPuzzleBits, answerSize,
} from './layout.js';
export { VerifyReason, IssueRefusal, TokenReason, ChallengeDecodeCode } from './reasons.js';
export { endpoint, endpointFromText, endpointToText, serviceKey } from './endpoint.js';
export type { Endpoint, EndpointText } from './endpoint.js';
export {
  packetMagic, isChallengePacket, isAnswerPacket, isHelloPacket, writeMacInput, writeChallengeHead, decodeChallenge,
  decodeAnswer, encodeAnswer, encodeHello,
} from './challenge-packet.js';
export type { ChallengeFields, AnswerFields } from './challenge-packet.js';
export { TOKEN_SIZE, TOKEN_SIGNED_SIZE, encodeTokenClaims, assembleToken, decodeToken } from './token.js';
export type { TokenClaims, DecodedToken } from './token.js';
export {
  EPOCH_KEY_RECORD_SIZE, PUBLIC_KEY_RECORD_SIZE, encodeEpochKeyRecord, decodeEpochKeyRecord, encodePublicKeyRecord,
  decodePublicKeyRecord, encodeTenantKeyRecord, decodeTenantKeyRecord,
} from './records.js';
export type { EpochKeyRecord, PublicKeyRecord, TenantKeyRecord } from './records.js';
export {
  CHALLENGE_API_VERSION, CHALLENGE_SUBJECT_PREFIX, ChallengeSubject, CHALLENGE_QUEUE_GROUP, loadSubject, LOAD_SUBJECTS, edgeIdOfLoadSubject, CHALLENGE_EPOCH_BUCKET,
  CHALLENGE_PUBKEY_BUCKET, CHALLENGE_DIFFICULTY_BUCKET, TENANT_KEY_BUCKET, tenantKeyKvKey, epochKvKey, publicKeyKvKey, toBase64, fromBase64,
  decodeApiMessage, encodeApiMessage, isEndpointText,
} from './api.js';
export type {
  IssueRequest, IssueReply, VerifyRequest, VerifyReply, TokenRequest, TokenReply, EpochInfo, KeysListReply,
  KeysRotateReply, TenantKeyRequest, TenantKeyReply, DifficultyRequest, DifficultyRecord, LoadReport,
} from './api.js';
