/** libs/access: who may do what on NATS (permissions per role as data), their credentials, the server config, and client connect options. */
export { AccessError, AccessErrorCode } from './errors.js';
export {
  Role, ROLES, EDGE_BUCKETS, CHALLENGE_BUCKETS, SECRET_BUCKETS, OPERATOR_CHALLENGE_SUBJECTS, CHALLENGE_REPLY_SUBJECTS, inboxPrefix, permissionsFor,
} from './roles.js';
export type { Principal, Permissions } from './roles.js';
export { kvStream, objectStream, readStream, readKv, ownKv, ownStream, ownObjectStore, durableConsumer, ACCOUNT_INFO } from './jetstream-subjects.js';
export { credentialFileName, ensureUserCredential, ensureCredentialSet, usersOf } from './credentials.js';
export type { UserCredential, CredentialSet } from './credentials.js';
export { renderServerConfig, writeServerConfig } from './server-config.js';
export type { ServerUser, ServerTls, ServerConfigInput, LinkAuth } from './server-config.js';
export { accessConnectOptions, credentialsKind, serverList } from './connect-options.js';
export type { ClientAccess, AccessConnectOptions } from './connect-options.js';
export { writeAccessFiles, writeSuperclusterFiles } from './access-files.js';
export type { AccessFiles, AccessFilesOptions, SuperclusterFiles, SuperclusterFilesOptions } from './access-files.js';
export { planSupercluster } from './supercluster.js';
export type { ServerAddress, SuperclusterInput, PlannedServer } from './supercluster.js';
export { deployTemplates, TEMPLATE_USERS } from './deploy-templates.js';
export { followConnection } from './connection-state.js';
