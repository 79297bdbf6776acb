import type { DsrRecord } from '../dsr/dsr-types.js';
import type { Problem } from '../http-input/request-error.js';
import { escapeHtml } from './html.js';
import { REQUEST_KINDS, type RequestKind } from './request-form.js';

/** The request form, with the problems of a previous attempt beside it. */
export function requestFormHtml(siteName: string, problems: Problem[] = [], given: Record<string, unknown> = {}): string {
  const errors = problems.length
    ? `<div role="alert" class="error"><p>Please fix this:</p><ul>${problems.map((p) => `<li>${escapeHtml(p.path)}: ${escapeHtml(p.message)}</li>`).join('')}</ul></div>`
    : '';
  const kinds = Object.entries(REQUEST_KINDS)
    .map(
      ([kind, { label }], i) =>
        `<label><input type="radio" name="type" value="${kind}"${given.type === kind || (!given.type && i === 0) ? ' checked' : ''}> ${escapeHtml(label)}</label>`,
    )
    .join('');
  return `${errors}<p>Ask ${escapeHtml(siteName)} to show, export, correct or delete the data it holds about you. We send a link to your
email address to confirm it is yours; nothing happens until you follow it.</p>
<form method="post" action="/privacy/request">
<label for="email">Email address</label><input id="email" name="email" type="email" autocomplete="email" required value="${escapeHtml(given.email ?? '')}">
<fieldset><legend>What would you like?</legend>${kinds}</fieldset>
<label for="details">For a correction: what is wrong, and what should it be?</label><textarea id="details" name="details" rows="4" maxlength="2000">${escapeHtml(given.details ?? '')}</textarea>
<button type="submit">Send me the link</button></form>`;
}

export const SENT_MESSAGE =
  'If this address can receive mail, a link to confirm your request is on its way. It works once and expires; if nothing arrives, check your spam folder or ask again later.';

export function confirmHtml(token: string, kind: RequestKind): string {
  return `<p>You asked us to: <strong>${escapeHtml(REQUEST_KINDS[kind].label.toLowerCase())}</strong>.</p>
<form method="post" action="/privacy/request/confirm"><input type="hidden" name="token" value="${escapeHtml(token)}">
<button type="submit">Confirm my request</button></form>`;
}

export const LINK_UNUSABLE = 'This link has expired or was already used. You can ask again from the request page.';

const STATUS_WORDS: Record<DsrRecord['status'], string> = {
  pending: 'Received; it starts shortly (you can no longer change it here).',
  in_progress: 'In progress.',
  completed: 'Done.',
  cancelled: 'Cancelled.',
};

export function statusHtml(view: RequestStatusView): string {
  const download = view.exportUrl
    ? `<p><a href="${escapeHtml(view.exportUrl)}" download>Download your data</a> (JSON Lines, available until ${escapeHtml(view.exportExpiresAt ?? '')}).</p>`
    : '';
  const correction =
    view.kind === 'rectification'
      ? '<p>Your correction was passed on with the request and is reviewed by a person; the export shows what is held now.</p>'
      : '';
  return `<p>Keep this page's address: it is the only way to follow your request.</p>
<dl><dt>Request</dt><dd>${escapeHtml(REQUEST_KINDS[view.kind].label)}</dd><dt>Reference</dt><dd>${escapeHtml(view.requestId)}</dd><dt>Status</dt><dd role="status">${escapeHtml(STATUS_WORDS[view.status])}</dd>
<dt>Received</dt><dd>${escapeHtml(view.receivedAt)}</dd><dt>Expected by</dt><dd>${escapeHtml(view.expectedCompletionAt)}</dd></dl>${correction}${download}`;
}

/** What the status page and its JSON show of a request. */
export interface RequestStatusView {
  /** The OpenDSR subject_request_id, to quote when asking about it. */
  requestId: string;
  kind: RequestKind;
  status: DsrRecord['status'];
  receivedAt: string;
  expectedCompletionAt: string;
  exportUrl?: string;
  exportExpiresAt?: string;
}
