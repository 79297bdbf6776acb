import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';

/** A failure in words, where the view shows it. */
export function ErrorNote({ error }: { error?: string }) {
  return error ? html`<p class="error" role="alert" data-role="error">${error}</p>` : null;
}

/** A button that asks once more, in the page, before it acts (purge, replay, remove). */
export function ConfirmButton({
  label,
  question,
  onConfirm,
  disabled,
  name,
}: {
  label: string;
  question: string;
  onConfirm: () => void;
  disabled?: boolean;
  name: string;
}) {
  const [asking, setAsking] = useState(false);
  if (!asking) return html`<button type="button" data-action=${name} disabled=${disabled} onClick=${() => setAsking(true)}>${label}</button>`;
  return html`<span class="confirm" data-role="confirm">
    ${question}
    <button
      type="button"
      class="danger"
      data-action="confirm"
      onClick=${() => {
        setAsking(false);
        onConfirm();
      }}
    >
      Yes, ${label.toLowerCase()}
    </button>
    <button type="button" data-action="cancel" onClick=${() => setAsking(false)}>Cancel</button>
  </span>`;
}

export function Section({ title, children }: { title: string; children: ComponentChildren }) {
  return html`<section>
    <h2>${title}</h2>
    ${children}
  </section>`;
}
