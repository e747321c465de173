import { CanonicalWriter } from '../signing/canonical.js';
import type { OperatorKeySet, OperatorSigner } from '../signing/operator-key.js';
import { deploymentSigningBytes, isTenantName, type TenantDeployment } from './deployment.js';

/*
 * Named programs (issue 13): a tenant's socket-filter programs that rules call as `bpf("name")`.
 * They live in the programs bucket beside the tenant's flow program, under
 * `named.<tenant>.<name>`, as the same TenantDeployment record (with its history, so they roll
 * back like programs). The signature binds the name too — kind `named-program`: name ·
 * the deployment's canonical bytes — so a signed record copied under another name is refused.
 */

export const PROGRAM_NAME = /^[A-Za-z0-9_-]{1,64}$/;
export const isProgramName = (name: string): boolean => PROGRAM_NAME.test(name);
export const namedProgramKey = (tenant: string, name: string): string => `named.${tenant}.${name}`;

/** `named.<tenant>.<name>` → its parts, or null for any other key. */
export function namedProgramOfKey(key: string): { tenant: string; name: string } | null {
  const parts = key.split('.');
  if (parts.length !== 3 || parts[0] !== 'named' || !isTenantName(parts[1]!) || !isProgramName(parts[2]!)) return null;
  return { tenant: parts[1]!, name: parts[2]! };
}

export function namedProgramSigningBytes(d: Omit<TenantDeployment, 'signature' | 'object'>, name: string): Uint8Array {
  const inner = deploymentSigningBytes(d);
  return new CanonicalWriter('named-program').string(name).u64(inner.length).fixed(inner, inner.length).finish();
}

export function signNamedProgram(d: Omit<TenantDeployment, 'signature'> & { signature?: unknown }, name: string, signer: OperatorSigner): TenantDeployment {
  const { signature: _old, ...fields } = d;
  return { ...fields, signature: signer.sign(namedProgramSigningBytes(fields, name)) };
}

export function checkNamedProgramSignature(d: TenantDeployment, name: string, keys: OperatorKeySet): 'ok' | 'unsigned' | 'bad_signature' {
  if (d.signature === null) return 'unsigned';
  let message: Uint8Array;
  try {
    message = namedProgramSigningBytes(d, name);
  } catch {
    return 'bad_signature';
  }
  return keys.check(message, d.signature);
}
