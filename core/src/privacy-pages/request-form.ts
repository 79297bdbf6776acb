import type { Problem } from '../http-input/request-error.js';
import type { SubjectRequestType } from '../dsr/dsr-types.js';

/** What a person may ask for on the request page, in their words. */
export const REQUEST_KINDS = {
  access: { label: 'See the data held about me', dsrType: 'access' },
  portability: { label: 'Export my data (a file I can download)', dsrType: 'portability' },
  erasure: { label: 'Delete my data', dsrType: 'erasure' },
  rectification: { label: 'Correct my data', dsrType: 'access' },
} as const satisfies Record<string, { label: string; dsrType: SubjectRequestType }>;

export type RequestKind = keyof typeof REQUEST_KINDS;

export interface RequestForm {
  email: string;
  kind: RequestKind;
  /** Rectification: what is wrong and what it should be. */
  details?: string;
}

const MAX_DETAILS = 2000;
const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]+$/;

/** Reads the request form (a form post or JSON): the email and kind, checked; every problem found. */
export function readRequestForm(body: unknown): { ok: true; form: RequestForm } | { ok: false; problems: Problem[] } {
  const fields = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  const problems: Problem[] = [];
  const email = typeof fields.email === 'string' ? fields.email.trim() : '';
  if (!email) problems.push({ path: 'email', message: 'give the email address the request is about' });
  else if (email.length > 254 || !EMAIL.test(email)) problems.push({ path: 'email', message: 'this is not an email address (name@example.com)' });
  const kind = fields.type;
  if (typeof kind !== 'string' || !Object.hasOwn(REQUEST_KINDS, kind))
    problems.push({ path: 'type', message: `choose one of: ${Object.keys(REQUEST_KINDS).join(', ')}` });
  const details = typeof fields.details === 'string' ? fields.details.trim() : '';
  if (details.length > MAX_DETAILS) problems.push({ path: 'details', message: `at most ${MAX_DETAILS} characters` });
  if (kind === 'rectification' && !details) problems.push({ path: 'details', message: 'say what is wrong and what it should be' });
  if (problems.length) return { ok: false, problems };
  return { ok: true, form: { email: email.toLowerCase(), kind: kind as RequestKind, ...(details ? { details } : {}) } };
}
