import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildUdpPacket, frameEthernet, frameLinuxSll2 } from './build.js';
import { classifyUdp } from './classify.js';
import { CaptureError } from './errors.js';
import { extractIp, LinkType } from './link-types.js';
import { writePcap } from './pcap-writer.js';
import { PcapngWriter } from './pcapng-writer.js';
import { readCapturePackets } from './read.js';

/**
 * Reads a whole capture the way `flowshield test` does (records, IP extraction, UDP
 * classification) and reports whether it ended normally or with a CaptureError. Anything else
 * thrown (RangeError, TypeError, ...) fails the property.
 */
function consume(bytes: Uint8Array): 'ok' | CaptureError {
  try {
    for (const packet of readCapturePackets(bytes)) {
      assert.ok(packet.frame.length <= bytes.length);
      if (packet.ip) classifyUdp(packet.ip);
    }
    return 'ok';
  } catch (err) {
    if (err instanceof CaptureError) {
      assert.ok(err.offset >= 0 && err.offset <= bytes.length, `offset ${err.offset} inside the file`);
      return err;
    }
    throw err;
  }
}

const ip = buildUdpPacket({ src: '192.0.2.1', dst: '192.0.2.2', srcPort: 1, dstPort: 207, payload: 'abcdef' });
const ip6 = buildUdpPacket({ src: '2001:db8::1', dst: '2001:db8::2', srcPort: 1, dstPort: 207, payload: 'abcdef' });

function samplePcapng(littleEndian: boolean): Uint8Array {
  const w = new PcapngWriter({ littleEndian, userApplication: 'fuzz' });
  w.addInterface({ linkType: LinkType.ETHERNET, name: 'eth0' });
  w.addInterface({ linkType: LinkType.LINUX_SLL2 });
  w.addPacket({ interfaceId: 0, timestampNs: 1n, data: frameEthernet(ip), comment: 'one' });
  w.addPacket({ interfaceId: 1, timestampNs: 2n, data: frameLinuxSll2(ip6) });
  w.addPacket({ interfaceId: 0, timestampNs: 3n, data: frameEthernet(ip6, { vlanIds: [5] }), comment: 'three' });
  return w.toBytes();
}

const seeds = [
  samplePcapng(true),
  samplePcapng(false),
  writePcap([{ timestampNs: 1n, data: frameEthernet(ip) }, { timestampNs: 2n, data: frameEthernet(ip6) }], { linkType: LinkType.ETHERNET }),
  writePcap([{ timestampNs: 1n, data: ip }, { timestampNs: 2n, data: ip6 }], { linkType: LinkType.RAW, littleEndian: false, nanosecond: true }),
];

/** A valid capture with some bytes overwritten, some cut off, or some inserted. */
const mutated = fc.tuple(
  fc.constantFrom(...seeds),
  fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
  fc.option(fc.nat()),
  fc.option(fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 16 }))),
).map(([seed, flips, cut, insert]) => {
  let bytes = Uint8Array.from(seed);
  for (const [at, value] of flips) bytes[at % bytes.length] = value;
  if (insert) {
    const at = insert[0] % bytes.length;
    bytes = Uint8Array.from([...bytes.subarray(0, at), ...insert[1], ...bytes.subarray(at)]);
  }
  if (cut !== null) bytes = bytes.subarray(0, cut % (bytes.length + 1));
  return bytes;
});

/** Random bytes behind a valid magic number, so the fuzzer gets past the first check. */
const garbageAfterMagic = fc.tuple(
  fc.constantFrom(
    Uint8Array.of(0xd4, 0xc3, 0xb2, 0xa1), Uint8Array.of(0xa1, 0xb2, 0xc3, 0xd4), Uint8Array.of(0x4d, 0x3c, 0xb2, 0xa1),
    Uint8Array.of(0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0x00, 0x00, 0x00, 0x4d, 0x3c, 0x2b, 0x1a, 0x01, 0x00),
    Uint8Array.of(0x0a, 0x0d, 0x0d, 0x0a, 0x00, 0x00, 0x00, 0x1c, 0x1a, 0x2b, 0x3c, 0x4d, 0x00, 0x01),
  ),
  fc.uint8Array({ maxLength: 400 }),
).map(([magic, rest]) => Uint8Array.from([...magic, ...rest]));

test('capture fuzz - arbitrary bytes give packets or a CaptureError, never a crash', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => { consume(bytes); }), { numRuns: 2000 });
  fc.assert(fc.property(garbageAfterMagic, (bytes) => { consume(bytes); }), { numRuns: 3000 });
});

test('capture fuzz - damaged valid captures give packets or a CaptureError, never a crash', () => {
  fc.assert(fc.property(mutated, (bytes) => { consume(bytes); }), { numRuns: 4000 });
});

test('capture fuzz - every strict prefix of a valid capture is either fine or a TRUNCATED error', () => {
  for (const seed of seeds) {
    for (let n = 0; n < seed.length; n++) {
      const result = consume(seed.subarray(0, n));
      if (result !== 'ok') assert.equal(result.code, 'FS_ERR_CAPTURE_TRUNCATED', `prefix ${n}: ${result.message}`);
    }
    assert.equal(consume(seed), 'ok');
  }
});

test('capture fuzz - link-layer extraction never throws and stays inside the frame', () => {
  const linkTypes = fc.constantFrom(0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 147, 65535);
  fc.assert(fc.property(linkTypes, fc.uint8Array({ maxLength: 100 }), (linkType, frame) => {
    const found = extractIp(linkType, frame);
    if (found.ok) {
      assert.ok(found.offset + found.ip.length <= frame.length);
      assert.ok(found.ip.length >= 1);
    }
  }), { numRuns: 3000 });
});
