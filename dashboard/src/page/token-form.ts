import { html } from 'htm/preact';
import { useState } from 'preact/hooks';

/** Asks for the admin token; says why when the router refused the last one. */
export function TokenForm({ refusal, onToken }: { refusal?: string; onToken: (token: string) => void }) {
  const [value, setValue] = useState('');
  return html`<main class="login">
    <h1>Switchyard</h1>
    <form
      data-role="token-form"
      onSubmit=${(e: Event) => {
        e.preventDefault();
        if (value.trim()) onToken(value.trim());
      }}
    >
      <label
        >Admin token
        <input type="password" name="token" autocomplete="off" required value=${value} onInput=${(e: Event) => setValue((e.target as HTMLInputElement).value)}
      /></label>
      <button type="submit">Open the dashboard</button>
    </form>
    ${refusal ? html`<p class="error" role="alert" data-role="refusal">${refusal}</p>` : null}
    <p class="hint">The token stays in this tab (sessionStorage) and goes to the router only as an Authorization header.</p>
  </main>`;
}
