import { DEADLETTER_HEADERS, DEADLETTER_SUBJECT } from '@flowshield/proto';
import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';

/** Why a message is refused: a DecodeError, or a refusal of a message that decoded (EventRejectCode). */
export interface Refusal {
  code: string;
  message: string;
}

/**
 * Copies a refused message (malformed, or naming another edge than its subject), unchanged, to the dead-letter subject with headers naming the
 * reason and where it came from. The message id makes a re-copy after a crash a no-op.
 */
export async function deadLetter(js: JetStreamClient, stream: string, msg: JsMsg, error: Refusal): Promise<void> {
  const h = headers();
  h.set(DEADLETTER_HEADERS.code, error.code);
  h.set(DEADLETTER_HEADERS.reason, error.message.slice(0, 200));
  h.set(DEADLETTER_HEADERS.stream, stream);
  h.set(DEADLETTER_HEADERS.sequence, String(msg.seq));
  h.set(DEADLETTER_HEADERS.subject, msg.subject);
  await js.publish(DEADLETTER_SUBJECT, msg.data, { headers: h, msgID: `dl:${stream}:${msg.seq}` });
}
