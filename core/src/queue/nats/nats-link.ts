import {
  AckPolicy,
  connect,
  DeliverPolicy,
  JSONCodec,
  nanos,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
  type KV,
  type NatsConnection,
} from 'nats';

export interface NatsQueueOptions {
  servers: string[];
  /** Prefix of every stream, subject and bucket, so deployments (and test runs) can share one NATS. */
  stream: string;
  /**
   * How long JetStream waits for a router that holds a delivery before handing it to another router. Routers
   * extend it while they work on a delivery, so it only bounds how soon a crashed router's deliveries move on.
   */
  ackWaitMs?: number;
}

/** The names one deployment uses in NATS. */
export function natsNames(stream: string) {
  return {
    deliveries: stream,
    deliverySubject: (connectionId: string) => `${stream}.deliveries.${connectionId}`,
    allDeliveries: `${stream}.deliveries.*`,
    deadLetters: `${stream}_DEAD`,
    deadLetterSubject: (connectionId: string) => `${stream}.dead.${connectionId}`,
    allDeadLetters: `${stream}.dead.*`,
    /** Attempts and next-attempt times of retried deliveries, by stream sequence, for whichever router gets them next. */
    retries: `${stream}_RETRIES`,
  };
}

export interface RetryRecord {
  attempts: number;
  dueAt: number;
}

export interface NatsHandles {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  retries: KV;
}

/** NATS could not take the call: ingestion answers 503 and /ready says why. */
export class QueueUnavailableError extends Error {
  readonly code = 'QUEUE_UNAVAILABLE';
}

const RECONNECT_WAIT_MS = 500;
// Longer than the retry policy's default maximum age (24 h), so a retry record outlives its delivery.
const RETRY_RECORD_TTL_MS = 8 * 24 * 60 * 60 * 1000;
const retryCodec = JSONCodec<RetryRecord>();

/**
 * The connection to NATS and the streams, consumers and bucket the queue uses, created idempotently on every
 * (re)connect. The router starts without NATS; until it is reached, every call that must store fails at once.
 */
export class NatsLink {
  private handles?: NatsHandles;
  private connected = false;
  private problem: string;
  private retryTimer?: NodeJS.Timeout;
  private closed = false;
  private readonly consumers = new Map<string, Promise<void>>();
  readonly names;
  readonly ackWaitMs: number;

  private constructor(private readonly options: NatsQueueOptions) {
    this.names = natsNames(options.stream);
    this.ackWaitMs = options.ackWaitMs ?? 30_000;
    this.problem = `connecting to NATS at ${describeServers(options.servers)}`;
  }

  /** Tries to connect once; if NATS is not there, keeps trying in the background. */
  static async open(options: NatsQueueOptions): Promise<NatsLink> {
    const link = new NatsLink(options);
    await link.attempt();
    return link;
  }

  /** The handles, or QueueUnavailableError saying why there are none. */
  ready(): NatsHandles {
    if (!this.handles || !this.connected) throw new QueueUnavailableError(this.problem);
    return this.handles;
  }

  /** The handles when connected, else nothing (for calls that can just wait, like pulling deliveries). */
  current(): NatsHandles | undefined {
    return this.connected ? this.handles : undefined;
  }

  /** The connection's durable consumer, shared by every router of the deployment, created on first use. */
  ensureConsumer(connectionId: string): Promise<void> {
    let ensured = this.consumers.get(connectionId);
    if (!ensured) {
      ensured = this.createConsumer(connectionId).catch((error: unknown) => {
        this.consumers.delete(connectionId);
        throw error;
      });
      this.consumers.set(connectionId, ensured);
    }
    return ensured;
  }

  async getRetry(seq: number): Promise<RetryRecord | undefined> {
    const entry = await this.ready().retries.get(String(seq));
    return entry && entry.operation === 'PUT' ? retryCodec.decode(entry.value) : undefined;
  }

  async putRetry(seq: number, record: RetryRecord): Promise<void> {
    await this.ready().retries.put(String(seq), retryCodec.encode(record));
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const nc = this.handles?.nc;
    this.connected = false;
    if (nc && !nc.isClosed()) await nc.drain().catch(() => nc.close());
  }

  private async attempt(): Promise<void> {
    let nc: NatsConnection | undefined;
    try {
      nc = await connect({ servers: this.options.servers, name: 'switchyard', maxReconnectAttempts: -1, reconnectTimeWait: RECONNECT_WAIT_MS, timeout: 2000 });
      const jsm = await nc.jetstreamManager();
      const js = nc.jetstream();
      this.handles = { nc, js, jsm, retries: await js.views.kv(this.names.retries, { history: 1, ttl: RETRY_RECORD_TTL_MS }) };
      await this.ensureStreams();
      this.connected = true;
      void this.watch(nc);
    } catch (error) {
      this.handles = undefined;
      this.problem = `cannot reach NATS JetStream at ${describeServers(this.options.servers)}: ${(error as Error).message}`;
      if (nc && !nc.isClosed()) await nc.close().catch(() => undefined);
      if (!this.closed) this.retryTimer = setTimeout(() => void this.attempt(), RECONNECT_WAIT_MS * 2).unref();
    }
  }

  private async watch(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') {
        this.connected = false;
        this.problem = `lost the connection to NATS at ${describeServers(this.options.servers)}; reconnecting`;
      } else if (status.type === 'reconnect') {
        // A server that lost its state (restarted without storage) gets its streams and consumers back.
        this.consumers.clear();
        await this.ensureStreams().then(
          () => {
            this.connected = true;
          },
          (error: Error) => {
            this.problem = `reconnected to NATS but cannot set up the streams: ${error.message}`;
          },
        );
      }
    }
  }

  private async ensureStreams(): Promise<void> {
    const { jsm } = this.handles!;
    const n = this.names;
    await addOrKeep(() =>
      jsm.streams.add({ name: n.deliveries, subjects: [n.allDeliveries], retention: RetentionPolicy.Workqueue, storage: StorageType.File }),
    );
    await addOrKeep(() => jsm.streams.add({ name: n.deadLetters, subjects: [n.allDeadLetters], retention: RetentionPolicy.Limits, storage: StorageType.File }));
  }

  private async createConsumer(connectionId: string): Promise<void> {
    const { jsm } = this.ready();
    const config = {
      ack_wait: nanos(this.ackWaitMs),
      // The retry policy decides when to give up and dead-letters the delivery; a server-side limit would instead
      // strand the message in the work queue, neither delivered nor dead-lettered.
      max_deliver: -1,
      max_ack_pending: 20_000,
    };
    try {
      await jsm.consumers.add(this.names.deliveries, {
        durable_name: connectionId,
        filter_subject: this.names.deliverySubject(connectionId),
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ...config,
      });
    } catch {
      // Exists with other settings (an older ack wait): bring it in line.
      await jsm.consumers.update(this.names.deliveries, connectionId, config);
    }
  }
}

async function addOrKeep(add: () => Promise<unknown>): Promise<void> {
  try {
    await add();
  } catch (error) {
    // A stream created by another router (or an older version) with other settings is kept as it is.
    if (!/already in use/i.test((error as Error).message)) throw error;
  }
}

/** The servers without any credentials in their URLs, for messages. */
export function describeServers(servers: string[]): string {
  return servers.map((server) => server.replace(/\/\/[^@/]*@/, '//')).join(', ');
}

/** Removes every stream and bucket of a deployment (tests clean up their own). */
export async function removeNatsQueue(servers: string[], stream: string): Promise<void> {
  const nc = await connect({ servers });
  try {
    const jsm = await nc.jetstreamManager();
    const n = natsNames(stream);
    for (const name of [n.deliveries, n.deadLetters, `KV_${n.retries}`]) await jsm.streams.delete(name).catch(() => false);
  } finally {
    await nc.close();
  }
}
