/** OpenDSR request and status shapes (the OpenDSR / OpenCompliance specification, v1.0). */
export type SubjectRequestType = 'erasure' | 'access' | 'portability';
export type RequestStatus = 'pending' | 'in_progress' | 'completed' | 'cancelled';
export type ForwardingStatus = 'pending' | 'sent' | 'failed' | 'skipped';

export interface SubjectIdentity {
  identity_type: string;
  identity_value: string;
  identity_format: string;
}

export interface OpenDsrRequestBody {
  regulation: 'gdpr' | 'ccpa';
  subject_request_id: string;
  subject_request_type: SubjectRequestType;
  submitted_time: string;
  subject_identities: SubjectIdentity[];
  api_version?: string;
  status_callback_urls?: string[];
  extensions?: Record<string, Record<string, unknown>>;
}

/** What one connection did for a request: its deletion (erasure) or its read-back (access, portability). */
export interface ConnectionOutcome {
  status: ForwardingStatus;
  error?: string;
  /** Access and portability: how many records the connection read back. */
  records?: number;
}

export interface DsrRecord {
  id: string;
  request: OpenDsrRequestBody;
  status: RequestStatus;
  receivedAt: string;
  expectedCompletionAt: string;
  updatedAt: string;
  /** Per connection: the deletion forwarded to `onDelete` (erasure) or the records read with `onExport` (access). */
  connections: Record<string, ConnectionOutcome>;
  /** Set while a connection's failure keeps the request in_progress: rounds run so far and when the next starts. */
  retry?: { rounds: number; nextAttemptAt: string };
  resultsToken?: string;
  resultsExpireAt?: string;
  resultsCount?: number;
  resultsBaseUrl: string;
}

export const OPENDSR_API_VERSION = '1.0';
