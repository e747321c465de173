/** Stable codes of DecodeError for the event path; counted per code by consumers. */
export const EventDecodeCode = {
  EMPTY: 'FS_ERR_PROTO_EVENT_EMPTY',
  VERSION: 'FS_ERR_PROTO_EVENT_VERSION',
  MSGPACK: 'FS_ERR_PROTO_EVENT_MSGPACK',
  SHAPE: 'FS_ERR_PROTO_EVENT_SHAPE',
  FIELD: 'FS_ERR_PROTO_EVENT_FIELD',
  BATCH: 'FS_ERR_PROTO_EVENT_BATCH',
  MANIFEST: 'FS_ERR_PROTO_SNAPSHOT_MANIFEST',
} as const;

/**
 * Why the state service refused a message that decoded: the `Fs-Deadletter-Code` of such a
 * message in the dead-letter stream.
 */
export const EventRejectCode = {
  /** The batch's edgeId is not the edge its subject (`fs.events.<edgeId>`) names. */
  EDGE_MISMATCH: 'FS_ERR_PROTO_EVENT_EDGE_MISMATCH',
  /** An event's HLC is further ahead of the time the stream stored its batch than any clock may be (MAX_EVENT_CLOCK_AHEAD_MS). */
  CLOCK_AHEAD: 'FS_ERR_PROTO_EVENT_CLOCK_AHEAD',
} as const;

export type EventRejectCode = (typeof EventRejectCode)[keyof typeof EventRejectCode];

export type EventDecodeCode = (typeof EventDecodeCode)[keyof typeof EventDecodeCode];
