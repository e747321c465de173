// Capture files for `flowshield test`: read pcap/pcapng, locate IP packets, classify UDP,
// write annotated pcapng, and build test traffic.
export { CaptureError, CaptureErrorCode, isCaptureError } from './errors.js';
export type { CaptureFormat, CaptureRecord } from './record.js';
export { MAX_FRAME_LENGTH } from './record.js';
export { LinkType, NotIpReason, extractIp } from './link-types.js';
export type { IpExtraction } from './link-types.js';
export { detectCaptureFormat, readCapture, readCapturePackets, readCaptureRecords, toCapturePacket } from './read.js';
export type { CapturePacket } from './read.js';
export { PCAP_MAGIC_MICROSECONDS, PCAP_MAGIC_NANOSECONDS, readPcapHeader, readPcapRecords } from './pcap.js';
export type { PcapHeader } from './pcap.js';
export { PCAPNG_BYTE_ORDER_MAGIC, PcapngBlockType, PcapngOption, readPcapngRecords, ticksToNanoseconds } from './pcapng.js';
export type { PcapngInterface, PcapngVisitor } from './pcapng.js';
export { NotUdpReason, classifyUdp } from './classify.js';
export type { NotUdpInfo, UdpClassification, UdpPacketInfo } from './classify.js';
export { formatIpAddress, parseIpAddress } from './address.js';
export { internetChecksum, udpChecksum } from './checksum.js';
export { buildIpPacket, buildUdpPacket, frameEthernet, frameForLinkType, frameLinuxSll, frameLinuxSll2 } from './build.js';
export type { AddressInput, EthernetOptions, IpPacketSpec, Ipv6ExtensionHeader, UdpPacketSpec } from './build.js';
export { PcapngWriter, writeAnnotatedPcapng } from './pcapng-writer.js';
export type { PcapngInterfaceSpec, PcapngPacketSpec, PcapngWriterOptions } from './pcapng-writer.js';
export { writePcap } from './pcap-writer.js';
export type { PcapPacketSpec, PcapWriterOptions } from './pcap-writer.js';
