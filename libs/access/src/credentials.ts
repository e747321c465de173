import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createUser, fromSeed } from '@nats-io/nkeys';
import { inboxPrefix, type Principal, Role } from './roles.js';

/** One user's credentials: a file holding its nkey seed, and the public key the server config names. */
export interface UserCredential extends Principal {
  /** Absolute path of the seed file (mode 0600). */
  file: string;
  /** The user's public nkey (`U…`), safe to show and to write into the server config. */
  publicKey: string;
}

/** Credentials of one deployment: one user per role, one per edge id. */
export interface CredentialSet {
  operator: UserCredential;
  state: UserCredential;
  challenge: UserCredential;
  edges: Record<string, UserCredential>;
}

const SEED = /^SU[A-Z2-7]{56}$/;

/** The file name of a principal's seed in a credentials folder. */
export function credentialFileName(principal: Principal): string {
  return principal.role === Role.edge ? `edge-${principal.edgeId}.nk` : `${principal.role}.nk`;
}

/**
 * Writes (or keeps) one nkey user seed for a principal. An existing valid seed is kept, so
 * credentials handed out stay valid across restarts; the file is (re)set to mode 0600 either way.
 */
export function ensureUserCredential(dir: string, principal: Principal): UserCredential {
  inboxPrefix(principal); // checks the edge id
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, credentialFileName(principal));
  let seed = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  if (!SEED.test(seed)) {
    seed = new TextDecoder().decode(createUser().getSeed());
    writeFileSync(file, `${seed}\n`, { mode: 0o600 });
  }
  chmodSync(file, 0o600);
  const publicKey = fromSeed(new TextEncoder().encode(seed)).getPublicKey();
  return { ...principal, file, publicKey };
}

/** Seeds for the operator, the state and challenge services, and each listed edge id. */
export function ensureCredentialSet(dir: string, edgeIds: readonly string[]): CredentialSet {
  const edges: Record<string, UserCredential> = {};
  for (const edgeId of edgeIds) edges[edgeId] = ensureUserCredential(dir, { role: Role.edge, edgeId });
  return {
    operator: ensureUserCredential(dir, { role: Role.operator }),
    state: ensureUserCredential(dir, { role: Role.state }),
    challenge: ensureUserCredential(dir, { role: Role.challenge }),
    edges,
  };
}

/** Every user of a set, edges last. */
export function usersOf(set: CredentialSet): UserCredential[] {
  return [set.operator, set.state, set.challenge, ...Object.values(set.edges)];
}
