import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { DecodeError } from '../errors.js';
import { decodeBatch, decodeEvent, encodeBatch, encodeEvent, EVENT_BATCH_VERSION } from './codec.js';
import { EventDecodeCode } from './decode-codes.js';
import { BATCH_FIELDS_V1, EVENT_FIELDS, type StatusEvent } from './event.js';
import { bytes16ToIp, ipToBytes16 } from './ip.js';
import { decodeManifest, encodeManifest } from './manifest.js';
import { decodeRegister, encodeRegister, REGISTER_VERSION } from './register.js';
import { edgeIdOfSubject, eventSubject } from './names.js';

function sample(seq: number, over: Partial<StatusEvent> = {}): StatusEvent {
  return {
    tenant: 'acme', ip: ipToBytes16('198.51.100.7'), prevStatus: 0, status: 1, expiry: 1_800_000_000,
    hlcWall: 1_790_000_000_000, hlcLogical: 3, edgeId: 'edge-a', seq, reason: 2, programVersion: 7, ...over,
  };
}

function codeOf(fn: () => unknown): string {
  try { fn(); } catch (err) { assert.ok(err instanceof DecodeError, String(err)); return err.code; }
  assert.fail('expected a DecodeError');
}

test('proto events - a batch round-trips field by field', () => {
  const batch = { edgeId: 'edge-a', events: [sample(1), sample(2, { status: 2, prevStatus: 1 })] };
  const bytes = encodeBatch(batch);
  assert.equal(bytes[0], EVENT_BATCH_VERSION);
  const back = decodeBatch(bytes);
  assert.equal(back.edgeId, 'edge-a');
  assert.deepEqual(back.events.map((e) => ({ ...e, ip: [...e.ip] })), batch.events.map((e) => ({ ...e, ip: [...e.ip] })));
});

test('proto events - a batch carries its edge\'s region and datacenter; a version 1 batch (before them) still decodes', () => {
  const back = decodeBatch(encodeBatch({ edgeId: 'edge-a', region: 'eu-west', datacenter: 'fra-1', events: [sample(1)] }));
  assert.equal(back.region, 'eu-west');
  assert.equal(back.datacenter, 'fra-1');
  // A version 1 message as the encoder wrote it before: its two record structures, no region.
  const v1 = new Packr({ useRecords: true, maxSharedStructures: 2, shouldShareStructure: () => false, structures: [[...EVENT_FIELDS], [...BATCH_FIELDS_V1]] });
  const body = v1.pack({ edgeId: 'edge-a', events: [sample(1), sample(2)] });
  const old = decodeBatch(Uint8Array.from([1, ...body]));
  assert.deepEqual([old.edgeId, old.region, old.datacenter, old.events.length, old.events[1]!.seq], ['edge-a', '', '', 2, 2]);
  assert.equal(codeOf(() => decodeBatch(encodeBatch({ edgeId: 'edge-a', region: 'no spaces', events: [sample(1)] }))), EventDecodeCode.BATCH);
});

test('proto events - shared structures keep field names off the wire', () => {
  const one = encodeBatch({ edgeId: 'edge-a', events: [sample(1)] }).length;
  const two = encodeBatch({ edgeId: 'edge-a', events: [sample(1), sample(2)] }).length;
  assert.ok(two - one < 60, `second event cost ${two - one} bytes`);
  assert.equal(Buffer.from(encodeBatch({ edgeId: 'edge-a', events: [sample(1)] })).includes('programVersion'), false);
});

test('proto events - a message that redefines the shared structures inline changes nothing for the next ones', () => {
  const good = encodeBatch({ edgeId: 'edge-a', events: [sample(1)] });
  // records without the shared structures: each shape defined inline, at the ids the shared ones use
  const hostile = new Packr({ useRecords: true });
  for (const body of [hostile.pack({ edgeId: 'edge-a', events: [{ x: 1 }] }), hostile.pack([{ tenant: 1 }, { seq: 'x' }, { a: 1, b: 2 }])]) {
    assert.throws(() => decodeBatch(Uint8Array.of(EVENT_BATCH_VERSION, ...body)), DecodeError);
    assert.deepEqual(decodeBatch(good).events.map((e) => e.seq), [1]);
    assert.equal(decodeEvent(encodeEvent(sample(7))).seq, 7);
  }
});

test('proto events - a decoded event has exactly the event fields in structure order, whatever shape it was sent in', () => {
  const foreign = new Packr({ useRecords: true });
  const batchOf = (events: object[]) => Uint8Array.of(EVENT_BATCH_VERSION, ...foreign.pack({ edgeId: 'edge-a', region: '', datacenter: '', events }));
  const e = sample(1);
  const reordered = Object.fromEntries(Object.entries(e).reverse());
  for (const raw of [e, reordered, { ...e, extra: 'kept out' }]) {
    const [back] = decodeBatch(batchOf([raw])).events;
    assert.deepEqual(Object.keys(back!), [...EVENT_FIELDS]);
    assert.deepEqual({ ...back, ip: bytes16ToIp(back!.ip) }, { ...e, ip: '198.51.100.7' });
  }
  // The batch's edge id checked once: an event naming another edge is still refused.
  assert.equal(codeOf(() => decodeBatch(batchOf([{ ...e, edgeId: 'edge-b' }]))), EventDecodeCode.BATCH);
  assert.equal(codeOf(() => decodeBatch(batchOf([{ ...e, edgeId: 'bad edge' }]))), EventDecodeCode.FIELD);
});

test('proto events - a single record round-trips', () => {
  const e = sample(9);
  assert.deepEqual({ ...decodeEvent(encodeEvent(e)), ip: [...e.ip] }, { ...e, ip: [...e.ip] });
});

test('proto events - malformed input is rejected with a reason code', () => {
  const good = encodeBatch({ edgeId: 'edge-a', events: [sample(1), sample(2)] });
  assert.equal(codeOf(() => decodeBatch(new Uint8Array())), EventDecodeCode.EMPTY);
  assert.equal(codeOf(() => decodeBatch(Uint8Array.of(9, ...good.subarray(1)))), EventDecodeCode.VERSION);
  assert.equal(codeOf(() => decodeBatch(good.subarray(0, good.length - 5))), EventDecodeCode.MSGPACK);
  assert.equal(codeOf(() => decodeBatch(encodeBatch({ edgeId: 'edge-a', events: [] }))), EventDecodeCode.BATCH);
  assert.equal(codeOf(() => decodeBatch(encodeBatch({ edgeId: 'edge-a', events: [sample(2), sample(1)] }))), EventDecodeCode.BATCH);
  assert.equal(codeOf(() => decodeBatch(encodeBatch({ edgeId: 'edge-b', events: [sample(1)] }))), EventDecodeCode.BATCH);
  assert.equal(codeOf(() => decodeBatch(encodeBatch({ edgeId: 'edge-a', events: [sample(1, { status: 7 as 0 })] }))), EventDecodeCode.FIELD);
  assert.equal(codeOf(() => decodeBatch(encodeBatch({ edgeId: 'edge-a', events: [sample(1, { ip: new Uint8Array(4) })] }))), EventDecodeCode.FIELD);
});

test('proto events - random bytes never throw anything but DecodeError', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, versioned) => {
    const input = versioned ? Uint8Array.of(EVENT_BATCH_VERSION, ...bytes) : bytes;
    try { decodeBatch(input); } catch (err) { assert.ok(err instanceof DecodeError, String(err)); }
  }), { numRuns: 2000 });
});

test('proto events - IP text maps to 16 bytes and back', () => {
  assert.deepEqual([...ipToBytes16('1.2.3.4')], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 1, 2, 3, 4]);
  assert.equal(bytes16ToIp(ipToBytes16('1.2.3.4')), '1.2.3.4');
  assert.equal(bytes16ToIp(ipToBytes16('::ffff:1.2.3.4')), '1.2.3.4');
  for (const ip of ['2001:db8::1', '::1', '::', '2001:db8:0:1:1:1:1:1', 'fe80::1:0:0:2']) assert.equal(bytes16ToIp(ipToBytes16(ip)), ip);
  assert.throws(() => ipToBytes16('300.1.1.1'), RangeError);
});

test('proto events - snapshot manifest round-trips and rejects other versions', () => {
  const m = { version: 1 as const, dataObject: 'snap-1.lmdb', replicaId: 'r1', createdAt: 5, sequences: { FS_EVENTS: 10 }, entries: 3, digest: 'a'.repeat(64), appliedEvents: 30 };
  assert.deepEqual(decodeManifest(encodeManifest(m)), m);
  assert.equal(codeOf(() => decodeManifest(new TextEncoder().encode(JSON.stringify({ ...m, version: 2 })))), EventDecodeCode.VERSION);
  assert.equal(codeOf(() => decodeManifest(new TextEncoder().encode('{'))), EventDecodeCode.MANIFEST);
  const withData = { ...m, dataDigest: `SHA-256=${'A'.repeat(43)}=` };
  assert.deepEqual(decodeManifest(encodeManifest(withData)), withData);
  assert.equal(codeOf(() => decodeManifest(encodeManifest({ ...m, dataDigest: 'md5:x' }))), EventDecodeCode.MANIFEST);
});

test('proto events - a replica register round-trips and rejects other versions and lengths', () => {
  const e = sample(12, { edgeId: 'edge-long_name-9', expiry: 0, hlcLogical: 65_535, programVersion: 2 ** 40 });
  const bytes = encodeRegister(e);
  assert.equal(bytes[0], REGISTER_VERSION);
  assert.deepEqual(decodeRegister(bytes, e.tenant, e.ip), e);
  assert.equal(codeOf(() => decodeRegister(Uint8Array.of(2, ...bytes.subarray(1)), 't', e.ip)), EventDecodeCode.VERSION);
  assert.equal(codeOf(() => decodeRegister(bytes.subarray(0, bytes.length - 1), 't', e.ip)), EventDecodeCode.SHAPE);
});

test('proto events - edgeIdOfSubject names the edge of exactly fs.events.<edgeId>', () => {
  assert.equal(edgeIdOfSubject(eventSubject('edge-a')), 'edge-a');
  assert.equal(edgeIdOfSubject('fs.events.edge_b-2'), 'edge_b-2');
  for (const subject of ['fs.events.', 'fs.events.a.b', 'fs.events', 'fs.other.edge-a', 'fs.eventsx.a', `fs.events.${'x'.repeat(65)}`]) {
    assert.equal(edgeIdOfSubject(subject), null, subject);
  }
});
