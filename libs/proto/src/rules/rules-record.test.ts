import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHash } from 'node:crypto';
import { OperatorKeySet, OperatorSigner } from '../signing/operator-key.js';
import { checkRulesSignature, decodeRulesDeployment, encodeRulesDeployment, signRulesDeployment, RULES_RECORD_VERSION } from './rules-record.js';
import { decodePrefixList, encodePrefixList } from './prefix-list-file.js';

const rules = JSON.stringify({ rules: [{ id: 'r1', expression: 'udp.dstport == 27015', action: 'block' }] });
const record = {
  tenant: 'acme', version: 3, rules, sha256: createHash('sha256').update(rules).digest('hex'),
  lists: [{ name: 'abusers', sha256: 'ab'.repeat(32), prefixes: 1_000_000 }],
  deployedAt: 1_700_000_000_000, deployedBy: 'ops@host', rolledBackFrom: null,
};

test('proto rules record - round trip, signature over every field an edge acts on', () => {
  const { signer } = OperatorSigner.generate();
  const keys = new OperatorKeySet([signer.publicKey]);
  const signed = signRulesDeployment(record, signer);
  const bytes = encodeRulesDeployment(signed);
  assert.equal(bytes[0], RULES_RECORD_VERSION);
  const back = decodeRulesDeployment(bytes);
  assert.deepEqual(back, signed);
  assert.equal(checkRulesSignature(back, keys), 'ok');
  assert.equal(checkRulesSignature({ ...back, lists: [{ ...back.lists[0]!, sha256: 'cd'.repeat(32) }] }, keys), 'bad_signature');
  assert.equal(checkRulesSignature({ ...back, version: 4 }, keys), 'bad_signature');
  assert.equal(checkRulesSignature(decodeRulesDeployment(encodeRulesDeployment({ ...record, signature: null })), keys), 'unsigned');
});

test('proto rules record - bad records are refused with a code', () => {
  assert.throws(() => decodeRulesDeployment(new Uint8Array(0)), { code: 'FS_ERR_PROTO_RULES_EMPTY' });
  assert.throws(() => decodeRulesDeployment(Uint8Array.of(9, 0)), { code: 'FS_ERR_PROTO_RULES_VERSION' });
  const bad = encodeRulesDeployment({ ...record, tenant: 'bad tenant!', signature: null });
  assert.throws(() => decodeRulesDeployment(bad), { code: 'FS_ERR_PROTO_RULES_FIELD' });
  const badList = encodeRulesDeployment({ ...record, lists: [{ name: 'Upper', sha256: 'ab'.repeat(32), prefixes: 1 }], signature: null });
  assert.throws(() => decodeRulesDeployment(badList), /lists\[0\]\.name/);
});

test('proto prefix list - layout: header, IPv4 then IPv6 addresses and lengths, big-endian', () => {
  const bytes = encodePrefixList({ v4Addr: Uint32Array.of(0xc0000200), v4Len: Uint8Array.of(24), v6Addr: Uint32Array.of(0x20010db8, 0, 0, 0), v6Len: Uint8Array.of(32) });
  assert.equal(Buffer.from(bytes).toString('hex'), '4653504c01000000000000010000000' + '1' + 'c0000200' + '18' + '20010db8000000000000000000000000' + '20');
  assert.deepEqual(decodePrefixList(bytes).v6Len, Uint8Array.of(32));
});
