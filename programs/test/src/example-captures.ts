// The packets of the example captures in programs/examples/captures, each with a name the
// example's test gives a verdict for. `generate-captures.ts` writes them as pcap files;
// examples.test.ts checks the committed files are these bytes, then runs each example over its
// file as `flowshield test` does.
import { createHmac } from 'node:crypto';
import { buildUdpPacket, frameEthernet, LinkType, parseIpAddress, writePcap } from '../../../cli/dist/capture/index.js';

export interface NamedPacket {
  readonly name: string;
  /** seconds after the capture's start */
  readonly at: number;
  readonly frame: Uint8Array;
}

/** 2027-01-15T08:00:00Z: a multiple of 30 s, so A2S challenge windows start with the capture. */
export const CAPTURE_START = 1_800_000_000;

const bytes = (...parts: (number[] | Uint8Array | string)[]): Uint8Array =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
const fill = (length: number, byte = 0): Uint8Array => new Uint8Array(length).fill(byte);
const be64 = (v: bigint): Uint8Array => { const b = Buffer.alloc(8); b.writeBigUInt64BE(v); return b; };

/** Builds a capture's packets in order: each gets the time of the last `at` given (start 0). */
class CaptureBuilder {
  readonly packets: NamedPacket[] = [];
  private now = 0;
  constructor(private readonly server: { v4: string; v6: string; port: number }) {}

  /** A datagram from `src` (IPv4 or IPv6 by its form) to the server's address; `dstPort` overrides the port. */
  add(name: string, src: string, srcPort: number, payload: Uint8Array | string, options: { at?: number; dstPort?: number } = {}): this {
    if (this.packets.some((p) => p.name === name)) throw new Error(`two packets named ${JSON.stringify(name)}`);
    if (options.at !== undefined) this.now = options.at;
    const dst = src.includes(':') ? this.server.v6 : this.server.v4;
    const ip = buildUdpPacket({ src, dst, srcPort, dstPort: options.dstPort ?? this.server.port, payload });
    this.packets.push({ name, at: this.now, frame: frameEthernet(ip) });
    return this;
  }
}

// ---- A2S (a2s_query.c) ----------------------------------------------------------------------

export const A2S_SERVER = { v4: '198.51.100.10', v6: '2001:db8:a2::10', port: 27015 };
const A2S_INFO = bytes([0xff, 0xff, 0xff, 0xff, 0x54], 'Source Engine Query\0');
const a2sPlayer = (challenge: Uint8Array) => bytes([0xff, 0xff, 0xff, 0xff, 0x55], challenge);
const a2sRules = (challenge: Uint8Array) => bytes([0xff, 0xff, 0xff, 0xff, 0x56], challenge);
const ASK_FOR_CHALLENGE = Uint8Array.of(0xff, 0xff, 0xff, 0xff);

/**
 * The challenge number a2s_query.c gives a source: HMAC-SHA256 under the tenant key (`flowshield
 * test`'s default: 32 zero bytes) of the IPv4-mapped address, the port and the 30 s window.
 */
export function a2sChallengeNumber(src: string, srcPort: number, atSeconds: number): Uint8Array {
  const address = parseIpAddress(src);
  const mapped = address.length === 16 ? address : bytes(fill(10), [0xff, 0xff], address);
  const window = BigInt(Math.floor((CAPTURE_START + atSeconds) / 30));
  const message = bytes(mapped, [srcPort >> 8, srcPort & 0xff], be64(window));
  return createHmac('sha256', Buffer.alloc(32)).update(message).digest().subarray(0, 4);
}

function a2sCapture(): NamedPacket[] {
  const player = '203.0.113.7';
  const c = new CaptureBuilder(A2S_SERVER)
    .add('A2S_INFO from a new client', player, 50000, A2S_INFO, { at: 0 })
    .add('A2S_INFO repeating the edge challenge', player, 50000, bytes(A2S_INFO, a2sChallengeNumber(player, 50000, 0)), { at: 0.05 })
    .add('A2S_PLAYER asking for a challenge, verified client', player, 50000, a2sPlayer(ASK_FOR_CHALLENGE))
    .add('A2S_RULES with the server challenge, verified client', player, 50000, a2sRules(Uint8Array.of(0x5a, 0x17, 0x9c, 0x02)));
  // At one instant the verified client's bucket holds 20 queries, of which the three above took 3.
  for (let i = 1; i <= 17; i++) c.add(`verified client query ${i} of the burst`, player, 50000, A2S_INFO);
  c.add('verified client query over the burst', player, 50000, A2S_INFO)
    .add('A2S_INFO with a guessed challenge', '203.0.113.8', 40000, bytes(A2S_INFO, Uint8Array.of(1, 2, 3, 4)), { at: 2 })
    .add('A2S_PLAYER asking for a challenge, new source', '203.0.113.9', 40001, a2sPlayer(ASK_FOR_CHALLENGE))
    .add('A2S_INFO with another source\'s challenge', '203.0.113.10', 50000, bytes(A2S_INFO, a2sChallengeNumber(player, 50000, 0)))
    .add('A2S_INFO with the challenge for another port', '203.0.113.15', 50001, bytes(A2S_INFO, a2sChallengeNumber('203.0.113.15', 50000, 0)))
    .add('A2S_INFO with the previous window challenge', '203.0.113.11', 40002, bytes(A2S_INFO, a2sChallengeNumber('203.0.113.11', 40002, 0)), { at: 31 })
    .add('A2S_INFO with a challenge two windows old', '203.0.113.12', 40003, bytes(A2S_INFO, a2sChallengeNumber('203.0.113.12', 40003, 0)), { at: 61 })
    .add('A2S_INFO over IPv6 from a new client', '2001:db8:77::5', 50000, A2S_INFO)
    .add('A2S_INFO over IPv6 repeating the edge challenge', '2001:db8:77::5', 50000, bytes(A2S_INFO, a2sChallengeNumber('2001:db8:77::5', 50000, 61)))
    .add('A2S_INFO padded to 1200 bytes', '203.0.113.13', 40004, bytes(A2S_INFO, fill(1200 - A2S_INFO.length)))
    .add('A2S_INFO with a misspelt query string', '203.0.113.13', 40004, bytes([0xff, 0xff, 0xff, 0xff, 0x54], 'Source Engine query\0'))
    .add('A2S_INFO truncated to 24 bytes', '203.0.113.13', 40004, A2S_INFO.subarray(0, 24))
    .add('A2S_INFO with a 3-byte challenge', '203.0.113.13', 40004, bytes(A2S_INFO, [1, 2, 3]))
    .add('A2S_PLAYER of 13 bytes', '203.0.113.13', 40004, bytes(a2sPlayer(ASK_FOR_CHALLENGE), [0, 0, 0, 0]))
    .add('split packet header', '203.0.113.13', 40004, bytes([0xfe, 0xff, 0xff, 0xff], fill(20, 0x41)))
    .add('reflected S2C_CHALLENGE', '192.0.2.80', 27015, bytes([0xff, 0xff, 0xff, 0xff, 0x41], [9, 8, 7, 6]))
    .add('reflected S2A_INFO short answer', '192.0.2.80', 27015, bytes([0xff, 0xff, 0xff, 0xff, 0x49, 0x11], 'srv\0map\0'))
    .add('reflected S2A_INFO full answer', '192.0.2.80', 27015, bytes([0xff, 0xff, 0xff, 0xff, 0x49, 0x11], 'A big server name\0de_dust2\0cstrike\0Counter-Strike\0', fill(200, 0x20)))
    .add('deprecated A2A_PING', '203.0.113.14', 40005, bytes([0xff, 0xff, 0xff, 0xff, 0x69]))
    .add('game traffic on the query port', '203.0.113.14', 40005, bytes([0x12, 0x34, 0x56, 0x78], fill(40, 0x99)))
    .add('empty datagram', '203.0.113.14', 40005, new Uint8Array(0));
  return c.packets;
}

// ---- RakNet (raknet_ping.c) -----------------------------------------------------------------

export const RAKNET_SERVER = { v4: '198.51.100.20', v6: '2001:db8:b1::20', port: 19132 };
const RAKNET_MAGIC = Uint8Array.of(0x00, 0xff, 0xff, 0x00, 0xfe, 0xfe, 0xfe, 0xfe, 0xfd, 0xfd, 0xfd, 0xfd, 0x12, 0x34, 0x56, 0x78);
const ping = (id: number, time: bigint, guid: bigint, magic = RAKNET_MAGIC) => bytes([id], be64(time), magic, be64(guid));
const CLIENT_GUID = 0x1b2a3c4d5e6f7081n;

function raknetCapture(): NamedPacket[] {
  const badMagic = RAKNET_MAGIC.slice();
  badMagic[15] = 0x79;
  const c = new CaptureBuilder(RAKNET_SERVER)
    .add('unconnected ping', '203.0.113.20', 61000, ping(0x01, 1234n, CLIENT_GUID), { at: 0 })
    .add('unconnected ping, open connections', '203.0.113.21', 61000, ping(0x02, 1234n, CLIENT_GUID))
    .add('unconnected ping over IPv6', '2001:db8:77::20', 61000, ping(0x01, 99n, CLIENT_GUID))
    .add('ping with a wrong magic', '203.0.113.22', 61000, ping(0x01, 1234n, CLIENT_GUID, badMagic))
    .add('ping one byte short', '203.0.113.22', 61000, ping(0x01, 1234n, CLIENT_GUID).subarray(0, 32))
    .add('ping one byte long', '203.0.113.22', 61000, bytes(ping(0x01, 1234n, CLIENT_GUID), [0]))
    .add('ping padded to 1400 bytes', '203.0.113.22', 61000, bytes(ping(0x01, 1234n, CLIENT_GUID), fill(1400 - 33)))
    .add('open connection request 1 probing MTU 1492', '203.0.113.20', 61000, bytes([0x05], RAKNET_MAGIC, [11], fill(1492 - 28 - 18)))
    .add('open connection request 1 without the magic', '203.0.113.22', 61000, bytes([0x05], fill(16), [11], fill(500)))
    .add('open connection request 2, IPv4 server address', '203.0.113.20', 61000, bytes([0x07], RAKNET_MAGIC, [4, 0x39, 0x9b, 0x9b, 0xeb, 0x4a, 0xbc], [0x05, 0xd4], be64(CLIENT_GUID)))
    .add('open connection request 2, IPv6 server address', '2001:db8:77::20', 61000, bytes([0x07], RAKNET_MAGIC, [6], fill(28, 0x20), [0x05, 0xd4], be64(CLIENT_GUID)))
    .add('open connection request 2 of 40 bytes', '203.0.113.22', 61000, bytes([0x07], RAKNET_MAGIC, fill(23)))
    .add('reflected unconnected pong', '192.0.2.90', 19132, bytes([0x1c], be64(1234n), be64(42n), RAKNET_MAGIC, [0, 60], 'MCPE;Dedicated Server;527;1.19.1;0;10;13253860892328930865;'))
    .add('reflected open connection reply 1', '192.0.2.90', 19132, bytes([0x06], RAKNET_MAGIC, be64(42n), [0], [0x05, 0xd4]))
    .add('connected frame set', '203.0.113.20', 61000, bytes([0x84, 0, 0, 0], [0x60, 0x00, 0x90], fill(18, 0x11)))
    .add('connected ACK', '203.0.113.20', 61000, bytes([0xc0, 0, 1, 1, 0, 0, 0]))
    .add('unknown offline id 0x09', '203.0.113.22', 61000, bytes([0x09], be64(CLIENT_GUID), be64(5n), [0]))
    .add('empty datagram', '203.0.113.22', 61000, new Uint8Array(0));
  // One source's ping budget: 20 per 10 s window.
  for (let i = 1; i <= 20; i++) c.add(`ping ${i} of 20 from one source`, '203.0.113.23', 61001, ping(0x01, BigInt(i), CLIENT_GUID), { at: 1 });
  c.add('ping 21 from one source in the same window', '203.0.113.23', 61001, ping(0x01, 21n, CLIENT_GUID), { at: 5 })
    .add('ping from the same source in the next window', '203.0.113.23', 61001, ping(0x01, 22n, CLIENT_GUID), { at: 11 });
  return c.packets;
}

// ---- VoIP (voip.c) --------------------------------------------------------------------------

export const VOIP_SERVER = { v4: '198.51.100.30', v6: '2001:db8:c0::30', port: 5060 };
const sip = (...lines: string[]) => lines.join('\r\n') + '\r\n\r\n';
const INVITE = sip(
  'INVITE sip:bob@biloxi.example.com SIP/2.0',
  'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds',
  'Max-Forwards: 70',
  'To: Bob <sip:bob@biloxi.example.com>',
  'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 314159 INVITE',
  'Contact: <sip:alice@pc33.atlanta.example.com>',
  'Content-Length: 0',
);
const REGISTER = sip(
  'REGISTER sips:registrar.biloxi.example.com SIP/2.0',
  'Via: SIP/2.0/UDP bobspc.biloxi.example.com:5060;branch=z9hG4bKnashds7',
  'To: Bob <sips:bob@biloxi.example.com>',
  'From: Bob <sips:bob@biloxi.example.com>;tag=456248',
  'Call-ID: 843817637684230@998sdasdh09',
  'CSeq: 1826 REGISTER',
  'Expires: 7200',
  'Content-Length: 0',
);
const rtp = (options: { version?: number; type: number; seq: number; ssrc: number; csrcCount?: number; payload?: number }) => {
  const header = Buffer.alloc(12);
  header[0] = ((options.version ?? 2) << 6) | (options.csrcCount ?? 0);
  header[1] = options.type;
  header.writeUInt16BE(options.seq, 2);
  header.writeUInt32BE(options.seq * 160, 4);
  header.writeUInt32BE(options.ssrc, 8);
  return bytes(header, fill(options.payload ?? 160, 0xff));
};
const rtcp = (type: number, words: number, actualWords = words) => {
  const header = Buffer.alloc(4 * (actualWords + 1));
  header[0] = 0x80;
  header[1] = type;
  header.writeUInt16BE(words, 2);
  return header;
};

function voipCapture(): NamedPacket[] {
  const phone = '203.0.113.40';
  const media = (name: string, srcPort: number, payload: Uint8Array, dstPort = 10000) => c.add(name, phone, srcPort, payload, { dstPort });
  const c = new CaptureBuilder(VOIP_SERVER)
    .add('SIP INVITE', phone, 5060, INVITE, { at: 0 })
    .add('SIP REGISTER with a sips: URI', phone, 5060, REGISTER)
    .add('SIP OPTIONS with a tel: URI', phone, 5060, sip('OPTIONS tel:+15551234567 SIP/2.0', 'Content-Length: 0'))
    .add('SIP INVITE over IPv6', '2001:db8:77::40', 5060, INVITE)
    .add('SIP 200 OK response', phone, 5060, sip('SIP/2.0 200 OK', 'CSeq: 1 OPTIONS', 'Content-Length: 0'))
    .add('SIP unknown method', phone, 5060, sip('FETCH sip:bob@biloxi.example.com SIP/2.0', 'Content-Length: 0'))
    .add('SIP lower-case method', phone, 5060, sip('invite sip:bob@biloxi.example.com SIP/2.0', 'Content-Length: 0'))
    .add('SIP request line with version 3.0', phone, 5060, sip('INVITE sip:bob@biloxi.example.com SIP/3.0', 'Content-Length: 0'))
    .add('SIP request with an http: URI', phone, 5060, sip('INVITE http://biloxi.example.com/ SIP/2.0', 'Content-Length: 0'))
    .add('SIP response with a non-numeric status', phone, 5060, sip('SIP/2.0 2OO OK', 'Content-Length: 0'))
    .add('SIP INVITE of 1400 bytes', phone, 5060, INVITE.replace('Content-Length: 0', `X-Padding: ${'a'.repeat(1400 - INVITE.length - 12)}\r\nContent-Length: 0`))
    .add('SIP request line longer than 256 bytes', phone, 5060, sip(`INVITE sip:${'b'.repeat(300)}@biloxi.example.com SIP/2.0`, 'Content-Length: 0'))
    .add('SIP request line without CRLF', phone, 5060, 'OPTIONS sip:bob@biloxi.example.com SIP/2.0')
    .add('binary garbage to port 5060', phone, 5060, fill(64, 0xa5));
  media('RTP PCMU, first packet of the flow', 40000, rtp({ type: 0, seq: 1, ssrc: 0x11223344 }));
  media('RTP PCMU, same SSRC', 40000, rtp({ type: 0, seq: 2, ssrc: 0x11223344 }));
  media('RTP with marker bit and the same SSRC', 40000, rtp({ type: 0x80, seq: 3, ssrc: 0x11223344 }));
  media('RTP injected into the flow with another SSRC', 40000, rtp({ type: 0, seq: 4, ssrc: 0xdeadbeef }));
  media('RTP Opus, dynamic payload type 111', 40002, rtp({ type: 111, seq: 1, ssrc: 0x55667788 }), 10002);
  media('RTP with two CSRCs', 40004, rtp({ type: 8, seq: 1, ssrc: 0x01020304, csrcCount: 2 }), 10004);
  media('RTP version 1', 40006, rtp({ version: 1, type: 0, seq: 1, ssrc: 0x99 }), 10006);
  media('RTP payload type 72 (collides with RTCP)', 40008, rtp({ type: 72, seq: 1, ssrc: 0x98 }), 10008);
  media('RTP payload type 50 (unassigned)', 40010, rtp({ type: 50, seq: 1, ssrc: 0x97 }), 10010);
  media('RTP header truncated to 8 bytes', 40012, rtp({ type: 0, seq: 1, ssrc: 0x96 }).subarray(0, 8), 10012);
  media('RTP claiming 15 CSRCs in 40 bytes', 40014, rtp({ type: 0, seq: 1, ssrc: 0x95, csrcCount: 15, payload: 28 }), 10014);
  media('RTCP receiver report', 40001, rtcp(201, 7), 10001);
  media('RTCP sender report', 40003, rtcp(200, 6), 10003);
  media('RTCP compound starting with SDES', 40005, rtcp(202, 3), 10005);
  media('RTCP length beyond the datagram', 40007, rtcp(201, 7, 3), 10007);
  media('RTP to port 20002, outside the media range', 40016, rtp({ type: 0, seq: 1, ssrc: 0x94 }), 20002);
  media('datagram to port 9999', 40018, fill(20, 0x01), 9999);
  return c.packets;
}

// ---- WireGuard (wireguard.c) ----------------------------------------------------------------

export const WIREGUARD_SERVER = { v4: '198.51.100.40', v6: '2001:db8:d0::40', port: 51820 };
const wg = (type: number, length: number, reserved: number[] = [0, 0, 0]) => {
  const m = fill(length, 0x5c);
  if (length >= 4) m.set([type, ...reserved], 0);
  return m;
};

function wireguardCapture(): NamedPacket[] {
  const c = new CaptureBuilder(WIREGUARD_SERVER)
    .add('handshake initiation', '203.0.113.60', 41000, wg(1, 148), { at: 0 })
    .add('handshake initiation over IPv6', '2001:db8:77::60', 41000, wg(1, 148))
    .add('handshake initiation with a reserved byte set', '203.0.113.61', 41000, wg(1, 148, [0, 1, 0]))
    .add('handshake initiation of 149 bytes', '203.0.113.61', 41000, wg(1, 149))
    .add('handshake initiation of 147 bytes', '203.0.113.61', 41000, wg(1, 147))
    .add('handshake response', '203.0.113.60', 41000, wg(2, 92))
    .add('handshake response of 148 bytes', '203.0.113.61', 41000, wg(2, 148))
    .add('cookie reply', '203.0.113.60', 41000, wg(3, 64))
    .add('cookie reply of 148 bytes', '203.0.113.61', 41000, wg(3, 148))
    .add('transport keepalive (32 bytes)', '203.0.113.60', 41000, wg(4, 32))
    .add('transport data of 1440 bytes', '203.0.113.60', 41000, wg(4, 1440))
    .add('transport data of 100 bytes', '203.0.113.61', 41000, wg(4, 100))
    .add('transport data of 16 bytes', '203.0.113.61', 41000, wg(4, 16))
    .add('message type 5', '203.0.113.61', 41000, wg(5, 148))
    .add('three bytes', '203.0.113.61', 41000, Uint8Array.of(1, 0, 0))
    .add('empty datagram', '203.0.113.61', 41000, new Uint8Array(0));
  // One source's initiation budget: a burst of 10, refilled at 2 per second.
  for (let i = 1; i <= 10; i++) c.add(`initiation ${i} of a burst of 10`, '203.0.113.62', 41001, wg(1, 148), { at: 1 });
  c.add('initiation 11 of the burst', '203.0.113.62', 41001, wg(1, 148))
    .add('initiation a second after the burst', '203.0.113.62', 41001, wg(1, 148), { at: 2 });
  return c.packets;
}

/** Every example with a capture: program source in programs/examples, capture NAME.pcap beside it in captures/. */
export const EXAMPLE_CAPTURES: Readonly<Record<string, () => NamedPacket[]>> = {
  a2s_query: a2sCapture,
  raknet_ping: raknetCapture,
  voip: voipCapture,
  wireguard: wireguardCapture,
};

/** The pcap file of a capture: Ethernet frames, microsecond timestamps from CAPTURE_START. */
export function capturePcap(packets: readonly NamedPacket[]): Uint8Array {
  return writePcap(packets.map((p) => ({ timestampNs: BigInt(Math.round((CAPTURE_START + p.at) * 1e6)) * 1000n, data: p.frame })), { linkType: LinkType.ETHERNET });
}
