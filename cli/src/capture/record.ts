/** The container formats the reader understands. */
export type CaptureFormat = 'pcap' | 'pcapng';

/** One captured frame, as stored in the file (before the link header is stripped). */
export interface CaptureRecord {
  /** 0-based position among the packets of the file (all sections, all interfaces). */
  readonly index: number;
  /** Capture time in nanoseconds since the UNIX epoch; null when the block has none (pcapng SPB). */
  readonly timestampNs: bigint | null;
  /** pcapng section number (0-based); always 0 for pcap. */
  readonly section: number;
  /** Interface id within its section (pcapng); always 0 for pcap. */
  readonly interfaceId: number;
  /** LINKTYPE_* of the frame (see LinkType). */
  readonly linkType: number;
  /** Snapshot length of the interface (0 = unlimited). */
  readonly snapLength: number;
  /** Length of the frame on the wire; may exceed `frame.length` when the capture truncated it. */
  readonly originalLength: number;
  /** The captured bytes: a view into the file, not a copy. */
  readonly frame: Uint8Array;
  /** The pcapng packet comment (opt_comment), or null. */
  readonly comment: string | null;
  /** Byte offset of the record header / block in the file. */
  readonly fileOffset: number;
}

/** Upper bound on one captured frame: anything larger is garbage, not a real capture. */
export const MAX_FRAME_LENGTH = 16 * 1024 * 1024;
