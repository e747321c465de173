export { DecodeError } from './errors.js';
// Event path (issue 5): status events, batches, NATS names, snapshot manifest.
export {
  Status, STATUS_NAMES, isStatus, parseStatus, ReasonCode, REASON_NAMES, EVENT_FIELDS, BATCH_FIELDS, BATCH_FIELDS_V1, EVENT_LIMITS,
  EventDecodeCode, EventRejectCode, validateEvent, validateBatch, canonicalEvent, eventAheadOf, MAX_EVENT_CLOCK_AHEAD_MS,
  EVENT_BATCH_VERSION, EVENT_RECORD_VERSION, encodeBatch, decodeBatch, encodeEvent, decodeEvent,
  EVENTS_STREAM, EVENTS_SUBJECT_PREFIX, EVENTS_SUBJECTS, DEADLETTER_SUBJECT, DEADLETTER_STREAM, DEADLETTER_HEADERS,
  SNAPSHOT_BUCKET, STATE_CONSUMER_PREFIX, isNameToken, eventSubject, edgeIdOfSubject, batchMessageId,
  ipToBytes16, bytes16ToIp, SNAPSHOT_MANIFEST_VERSION, encodeManifest, decodeManifest,
  REGISTER_VERSION, encodeRegister, encodeRegisterInto, REGISTER_MAX_LENGTH, decodeRegister, readRegisterView,
  CORE_DOMAIN, SITE_EVENTS_STREAM, hubStream, aggregateStream, domainApi, validateTopology, sitesOf,
} from './events/index.js';
export type { StatusEvent, EventBatch, SnapshotManifest, RegisterView, Topology } from './events/index.js';
// Challenges (issue 6): challenge/answer/hello packets, verified tokens, KV records, service API.
export {
  CHALLENGE_VERSION, CHALLENGE_MAGIC, ANSWER_MAGIC, HELLO_MAGIC, TOKEN_MAGIC, CHALLENGE_SIZE, ANSWER_HEADER_SIZE,
  HELLO_SIZE, MAC_INPUT_SIZE, TAG_SIZE, NONCE_SIZE, SOLUTION_SIZE, POW_INPUT_SIZE, Offset as ChallengeOffset,
  MAX_DIFFICULTY_BITS, MAX_SUB_PUZZLES, isValidSubPuzzleCount, subPuzzleBits, answerSize,
  VerifyReason, IssueRefusal, TokenReason, ChallengeDecodeCode, endpoint, endpointFromText, endpointToText, serviceKey,
  packetMagic, isChallengePacket, isAnswerPacket, isHelloPacket, writeMacInput, writeChallengeHead, decodeChallenge,
  decodeAnswer, encodeAnswer, encodeHello, TOKEN_SIZE, TOKEN_SIGNED_SIZE, encodeTokenClaims, assembleToken, decodeToken,
  EPOCH_KEY_RECORD_SIZE, PUBLIC_KEY_RECORD_SIZE, encodeEpochKeyRecord, decodeEpochKeyRecord, encodePublicKeyRecord,
  decodePublicKeyRecord, encodeTenantKeyRecord, decodeTenantKeyRecord, TENANT_KEY_BUCKET, tenantKeyKvKey, CHALLENGE_API_VERSION, CHALLENGE_SUBJECT_PREFIX, ChallengeSubject, CHALLENGE_QUEUE_GROUP, loadSubject, LOAD_SUBJECTS, edgeIdOfLoadSubject,
  CHALLENGE_EPOCH_BUCKET, CHALLENGE_PUBKEY_BUCKET, CHALLENGE_DIFFICULTY_BUCKET, epochKvKey, publicKeyKvKey, toBase64,
  fromBase64, decodeApiMessage, encodeApiMessage, isEndpointText,
} from './challenge/index.js';
export type {
  Endpoint, EndpointText, ChallengeFields, AnswerFields, TokenClaims, DecodedToken, EpochKeyRecord, PublicKeyRecord,
  TenantKeyRecord, TenantKeyRequest, TenantKeyReply, IssueRequest, IssueReply, VerifyRequest, VerifyReply, TokenRequest, TokenReply, EpochInfo, KeysListReply,
  KeysRotateReply, DifficultyRequest, DifficultyRecord, LoadReport,
} from './challenge/index.js';
// Deployments (issue 7): the per-tenant program record edges watch.
export {
  PROGRAMS_BUCKET, DEPLOYMENT_VERSION, DEPLOYMENT_HISTORY, MAX_PROGRAM_BUDGET, DeployDecodeCode, isTenantName, deploymentKey, tenantOfKey,
  encodeDeployment, decodeDeployment, deploymentSigningBytes, signDeployment, checkDeploymentSignature,
  PROGRAM_NAME, isProgramName, namedProgramKey, namedProgramOfKey, namedProgramSigningBytes, signNamedProgram, checkNamedProgramSignature,
} from './deploy/index.js';
export type { TenantDeployment, FailVerdict } from './deploy/index.js';
// Signed records (issue 11): the canonical bytes operators sign, Ed25519 operator keys.
export {
  CanonicalWriter, SIGNED_MAGIC, SIGNED_LAYOUT_VERSION, OPERATOR_KEY_PREFIX, ED25519_PUBLIC_KEY_SIZE, ED25519_SIGNATURE_SIZE,
  OperatorKeyCode, publicKeyToText, publicKeyFromText, OperatorSigner, OperatorKeySet,
} from './signing/index.js';
export type { OperatorSignature } from './signing/index.js';
// Firewall (issue 13): rules versions, prefix-list objects, their NATS names.
export {
  RULES_BUCKET, RULES_HISTORY, LISTS_BUCKET, LIST_OBJECT_NAME, rulesKey, PREFIX_LIST_MAGIC, PREFIX_LIST_VERSION, PREFIX_LIST_HEADER_SIZE,
  MAX_LIST_PREFIXES, ListDecodeCode, encodePrefixList, decodePrefixList, RULES_RECORD_VERSION, RulesDecodeCode, encodeRulesDeployment,
  decodeRulesDeployment, rulesSigningBytes, signRulesDeployment, checkRulesSignature,
} from './rules/index.js';
export type { PrefixListData, RulesDeployment, ListPin } from './rules/index.js';
