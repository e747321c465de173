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

export type EventDecodeCode = (typeof EventDecodeCode)[keyof typeof EventDecodeCode];
