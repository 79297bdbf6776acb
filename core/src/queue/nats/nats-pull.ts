import { createInbox, type Msg, type MsgHdrs, type NatsConnection } from 'nats';

/** A message pulled from a JetStream consumer, settled through its reply subject (the JetStream ack protocol). */
export interface PulledMessage {
  /** Its stream sequence. */
  seq: number;
  /** JetStream handed it out before (a retry handed back, a crashed or closed router's delivery). */
  redelivered: boolean;
  headers: MsgHdrs;
  body: string;
  ack(): void;
  /** Hands it back, to be handed out again at once or after `delayMs`. */
  nak(delayMs?: number): void;
  /** Restarts its ack wait. */
  working(): void;
}

/** How long a pull waits for JetStream's closing status before it resolves with what came. */
const PULL_WAIT_MS = 2_000;

/**
 * One no-wait pull of up to `batch` messages. Resolves once JetStream sent `batch` messages or its closing status
 * (404 no messages, 408 the rest of the batch is not there), never at the first message that reports nothing
 * pending: every redelivery reports that, and nats.js's `fetch` stopped listening there while the rest of the batch
 * was still on the wire, which left those messages held by this router for the whole ack wait. The subscription
 * stays until the batch or the status came (at most `listenMs`), so a message arriving after the pull resolved
 * still reaches `onMessage`.
 */
export function pullNoWait(
  nc: NatsConnection,
  pull: { stream: string; consumer: string; batch: number; listenMs: number },
  onMessage: (message: PulledMessage) => void,
): Promise<void> {
  return new Promise<void>((resolve) => {
    let received = 0;
    const inbox = createInbox();
    const finish = () => {
      clearTimeout(waited);
      clearTimeout(listened);
      if (!sub.isClosed()) sub.unsubscribe();
      resolve();
    };
    const sub = nc.subscribe(inbox, {
      callback: (error, msg) => {
        if (error) return finish();
        if (!msg.reply?.startsWith('$JS.ACK.')) {
          // A status: 404/408/409 close the pull; a heartbeat or flow-control message (never asked for) does not.
          if ((msg.headers?.code ?? 0) >= 400) finish();
          return;
        }
        received += 1;
        onMessage(pulledMessage(msg));
        if (received >= pull.batch) finish();
      },
    });
    const waited = setTimeout(resolve, PULL_WAIT_MS);
    const listened = setTimeout(finish, pull.listenMs);
    waited.unref();
    listened.unref();
    nc.publish(`$JS.API.CONSUMER.MSG.NEXT.${pull.stream}.${pull.consumer}`, JSON.stringify({ batch: pull.batch, no_wait: true }), { reply: inbox });
  });
}

function pulledMessage(msg: Msg): PulledMessage {
  // $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>, or with
  // <domain>.<account hash> after ACK (and a token at the end) on newer servers.
  const tokens = msg.reply!.split('.');
  const at = tokens.length === 9 ? 4 : 6;
  const reply = (text: string) => msg.respond(new TextEncoder().encode(text));
  return {
    seq: Number(tokens[at + 1]),
    redelivered: Number(tokens[at]) > 1,
    headers: msg.headers!,
    body: msg.string(),
    ack: () => reply('+ACK'),
    nak: (delayMs) => reply(delayMs ? `-NAK ${JSON.stringify({ delay: delayMs * 1_000_000 })}` : '-NAK'),
    working: () => reply('+WPI'),
  };
}
