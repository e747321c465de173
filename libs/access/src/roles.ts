import {
  CHALLENGE_DIFFICULTY_BUCKET, CHALLENGE_EPOCH_BUCKET, CHALLENGE_PUBKEY_BUCKET, CHALLENGE_SUBJECT_PREFIX, ChallengeSubject,
  DEADLETTER_STREAM, DEADLETTER_SUBJECT, EVENTS_STREAM, LISTS_BUCKET, PROGRAMS_BUCKET, RULES_BUCKET, SNAPSHOT_BUCKET, TENANT_KEY_BUCKET,
  eventSubject, isNameToken, loadSubject, SITE_EVENTS_STREAM, aggregateStream, hubStream, type Topology,
} from '@flowshield/proto';
import { AccessError, AccessErrorCode } from './errors.js';
import { ACCOUNT_INFO, durableConsumer, kvStream, objectStream, ownKv, ownObjectStore, ownStream, readKv, readStream } from './jetstream-subjects.js';

/** The parts of flowshield that connect to NATS, each a user (edges: one user per edge id). */
export const Role = { edge: 'edge', state: 'state', challenge: 'challenge', operator: 'operator' } as const;
export type Role = typeof Role[keyof typeof Role];
export const ROLES: readonly Role[] = [Role.operator, Role.edge, Role.state, Role.challenge];

/** Who connects: a role, and for an edge its id (which names its events subject and inbox). */
export interface Principal {
  role: Role;
  edgeId?: string;
}

/** What a user may do, as nats-server permissions: every subject not allowed is denied. */
export interface Permissions {
  publish: string[];
  subscribe: string[];
}

/** Buckets an edge follows (and a leaf site mirrors): deployments, challenge keys, token public keys, difficulty, tenant HMAC keys, rules versions. */
export const EDGE_BUCKETS = [PROGRAMS_BUCKET, CHALLENGE_EPOCH_BUCKET, CHALLENGE_PUBKEY_BUCKET, CHALLENGE_DIFFICULTY_BUCKET, TENANT_KEY_BUCKET, RULES_BUCKET] as const;
/** Buckets the challenge service owns. */
export const CHALLENGE_BUCKETS = [CHALLENGE_EPOCH_BUCKET, CHALLENGE_PUBKEY_BUCKET, CHALLENGE_DIFFICULTY_BUCKET, TENANT_KEY_BUCKET] as const;
/** Secret buckets: edges (and the challenge service that writes them) only, never operators. */
export const SECRET_BUCKETS = [CHALLENGE_EPOCH_BUCKET, TENANT_KEY_BUCKET] as const;
/** Challenge API subjects an operator (or a matchmaker holding operator credentials) may call. */
export const OPERATOR_CHALLENGE_SUBJECTS = [
  ChallengeSubject.issue, ChallengeSubject.verify, ChallengeSubject.token, ChallengeSubject.keysList, ChallengeSubject.keysRotate,
  ChallengeSubject.difficulty,
] as const;

function checkedEdgeId(principal: Principal): string {
  if (!isNameToken(principal.edgeId)) {
    throw new AccessError(AccessErrorCode.BAD_PRINCIPAL, `an edge needs an id of 1-64 [A-Za-z0-9_-], got ${JSON.stringify(principal.edgeId)}`);
  }
  return principal.edgeId;
}

/**
 * The inbox prefix of a principal: replies (requests, JetStream API calls, ordered consumers)
 * arrive under it, and it is the only inbox the principal may subscribe to, so no one reads
 * another's replies. Pass it as the `inboxPrefix` connect option.
 */
export function inboxPrefix(principal: Principal): string {
  return principal.role === Role.edge ? `_INBOX.edge.${checkedEdgeId(principal)}` : `_INBOX.${principal.role}`;
}

/**
 * Where the challenge service may publish its replies: the inboxes of those who may call it
 * (edges, operators), and nothing else. Not nats-server's `allow_responses`, which lets a
 * responder publish to whatever reply subject a request names: an edge's request naming
 * `$JS.API.STREAM.PURGE.FS_EVENTS` as its reply had the challenge service purge the event stream.
 */
export const CHALLENGE_REPLY_SUBJECTS = ['_INBOX.edge.*.>', '_INBOX.operator.>'] as const;

/**
 * What the state role needs beyond one node: its region's hub and aggregate streams (create,
 * read, its durable consumer) in the core domain, and in each site's own domain the site's
 * FS_EVENTS and the mirrors of the buckets edges read (set-up only: edges and the site's server
 * do the rest). The stream names carry region and site, so the list is per topology.
 */
function topologyStreams(topology: Topology | undefined): string[] {
  if (!topology) return [];
  const out: string[] = [];
  for (const { region, sites } of topology.regions) {
    const hub = hubStream(region);
    const aggregate = aggregateStream(region);
    out.push(...ownStream(hub), `$JS.API.STREAM.INFO.${hub}`, ...ownStream(aggregate), ...readStream(aggregate), ...durableConsumer(aggregate));
    for (const site of sites) {
      out.push(`$JS.${site}.API.INFO`);
      for (const stream of [SITE_EVENTS_STREAM, ...EDGE_BUCKETS.map(kvStream)]) {
        out.push(...['CREATE', 'UPDATE', 'INFO'].map((op) => `$JS.${site}.API.STREAM.${op}.${stream}`));
      }
    }
  }
  return out;
}

/** With a topology, the operator reads every region's hub and aggregate (`flowshield events --stream`, digests of a region's log). */
function topologyReads(topology: Topology | undefined): string[] {
  return (topology?.regions ?? []).flatMap(({ region }) => [...readStream(hubStream(region)), ...readStream(aggregateStream(region))]);
}

/** The permissions of each role, derived from the wire names in libs/proto (and the regions' stream names with a topology). */
export function permissionsFor(principal: Principal, topology?: Topology): Permissions {
  const inbox = [`${inboxPrefix(principal)}.>`];
  switch (principal.role) {
    case Role.edge:
      return {
        publish: [
          eventSubject(checkedEdgeId(principal)), loadSubject(checkedEdgeId(principal)), ChallengeSubject.tenantKey,
          ACCOUNT_INFO, ...EDGE_BUCKETS.flatMap(readKv),
          // the prefix lists rules versions pin, read-only (the rules bucket is one of EDGE_BUCKETS)
          ...readStream(objectStream(LISTS_BUCKET)),
        ],
        subscribe: inbox,
      };
    case Role.state:
      return {
        publish: [
          ACCOUNT_INFO,
          ...ownStream(EVENTS_STREAM), ...readStream(EVENTS_STREAM), ...durableConsumer(EVENTS_STREAM),
          ...ownStream(DEADLETTER_STREAM), `$JS.API.STREAM.INFO.${DEADLETTER_STREAM}`, DEADLETTER_SUBJECT,
          ...ownObjectStore(SNAPSHOT_BUCKET), ...topologyStreams(topology),
        ],
        subscribe: inbox,
      };
    case Role.challenge:
      return {
        publish: [ACCOUNT_INFO, ...CHALLENGE_BUCKETS.flatMap(ownKv), ...CHALLENGE_REPLY_SUBJECTS],
        subscribe: [`${CHALLENGE_SUBJECT_PREFIX}.>`, ...inbox],
      };
    case Role.operator:
      return {
        publish: [
          ACCOUNT_INFO, ...ownKv(PROGRAMS_BUCKET), ...readKv(CHALLENGE_PUBKEY_BUCKET), ...readKv(CHALLENGE_DIFFICULTY_BUCKET),
          ...readStream(EVENTS_STREAM), ...readStream(DEADLETTER_STREAM), ...topologyReads(topology),
          // `snapshot create` is an operator verb; snapshots hold replica state, no secrets.
          ...ownObjectStore(SNAPSHOT_BUCKET),
          // `rules deploy` and `lists put`
          ...ownKv(RULES_BUCKET), ...ownObjectStore(LISTS_BUCKET),
          ...OPERATOR_CHALLENGE_SUBJECTS,
        ],
        subscribe: inbox,
      };
    default:
      throw new AccessError(AccessErrorCode.BAD_PRINCIPAL, `unknown role ${JSON.stringify((principal as Principal).role)}`);
  }
}
