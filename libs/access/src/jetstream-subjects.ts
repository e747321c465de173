/*
 * The subjects behind JetStream operations, per stream, as nats-server permissions need them.
 * A KV bucket B is stream `KV_B` written by publishing on `$KV.B.>`; an object store B is stream
 * `OBJ_B` written on `$O.B.>`. API calls are requests on `$JS.API.…`; replies come back on the
 * caller's inbox, which each role may subscribe to under its own prefix only.
 */
const API = '$JS.API';

export const kvStream = (bucket: string): string => `KV_${bucket}`;
export const objectStream = (bucket: string): string => `OBJ_${bucket}`;

/** Every client asks for account info before its first JetStream call (`checkAPI`). */
export const ACCOUNT_INFO = `${API}.INFO`;

/**
 * Reading a stream: its info, ephemeral (ordered) consumers, fetches from them, direct and
 * stored-message gets, and answers to flow control. No delete, purge, update or ack: a reader
 * cannot change the stream nor move anyone else's consumer.
 */
export function readStream(stream: string): string[] {
  return [
    `${API}.STREAM.INFO.${stream}`,
    `${API}.CONSUMER.CREATE.${stream}`,
    `${API}.CONSUMER.CREATE.${stream}.>`,
    `${API}.CONSUMER.INFO.${stream}.*`,
    `${API}.CONSUMER.MSG.NEXT.${stream}.*`,
    `${API}.DIRECT.GET.${stream}`,
    `${API}.DIRECT.GET.${stream}.>`,
    `${API}.STREAM.MSG.GET.${stream}`,
    `$JS.FC.${stream}.>`,
  ];
}

/** Creating a stream (and updating its configuration): only the stream's owner. */
export function ownStream(stream: string): string[] {
  return [`${API}.STREAM.CREATE.${stream}`, `${API}.STREAM.UPDATE.${stream}`];
}

/** A durable pull consumer the owner positions itself (create, delete, fetch, acknowledge). */
export function durableConsumer(stream: string): string[] {
  return [
    `${API}.CONSUMER.DURABLE.CREATE.${stream}.*`,
    `${API}.CONSUMER.DELETE.${stream}.*`,
    `$JS.ACK.${stream}.>`,
  ];
}

/** Create, read and write a KV bucket. */
export function ownKv(bucket: string): string[] {
  const stream = kvStream(bucket);
  return [...ownStream(stream), ...readStream(stream), `$KV.${bucket}.>`];
}

/** Read a KV bucket: open it, get keys, watch it. */
export function readKv(bucket: string): string[] {
  return readStream(kvStream(bucket));
}

/** Create, read and write an object store (a put replaces an object by purging its old chunks). */
export function ownObjectStore(bucket: string): string[] {
  const stream = objectStream(bucket);
  return [...ownStream(stream), ...readStream(stream), `${API}.STREAM.PURGE.${stream}`, `$O.${bucket}.>`];
}
