import { html } from 'htm/preact';
import { useMemo, useState } from 'preact/hooks';
import { createAdminApi, type AdminApi, type ApiError } from './api.js';
import { forgetToken, saveToken, storedToken, takeTokenFromFragment } from './token.js';
import { TokenForm } from './token-form.js';
import { Overview } from './views/overview.js';
import { DeadLetters } from './views/dead-letters.js';
import { LiveStream } from './views/live-stream.js';
import { TraceView } from './views/trace.js';
import { Suppressions } from './views/suppressions.js';
import { DsrRequests } from './views/dsr-requests.js';
import { ProfileLookup } from './views/profile-lookup.js';
import { Audiences } from './views/audiences.js';

const VIEWS: Array<{ id: string; label: string; view: (props: { api: AdminApi }) => unknown }> = [
  { id: 'overview', label: 'Overview', view: Overview },
  { id: 'dead-letters', label: 'Dead letters', view: DeadLetters },
  { id: 'live', label: 'Live stream', view: LiveStream },
  { id: 'trace', label: 'Trace', view: TraceView },
  { id: 'suppressions', label: 'Suppressions', view: Suppressions },
  { id: 'dsr', label: 'DSR requests', view: DsrRequests },
  { id: 'profiles', label: 'Profiles', view: ProfileLookup },
  { id: 'audiences', label: 'Audiences', view: Audiences },
];

const refusalMessage = (error: ApiError) =>
  `The router refused the admin token (HTTP ${error.status}: ${error.message}). Enter a token from admin.tokens in the router's config.`;

function initialToken(): string | undefined {
  const fromFragment = takeTokenFromFragment();
  if (fromFragment) saveToken(fromFragment);
  return fromFragment ?? storedToken();
}

/** The page: a token form until a token is given, then one view at a time under tabs. */
export function App() {
  const [token, setToken] = useState(initialToken);
  const [refusal, setRefusal] = useState<string>();
  const [tab, setTab] = useState('overview');
  const api = useMemo(
    () =>
      token &&
      createAdminApi(token, (error) => {
        forgetToken();
        setToken(undefined);
        setRefusal(refusalMessage(error));
      }),
    [token],
  );
  if (!api) {
    return html`<${TokenForm}
      refusal=${refusal}
      onToken=${(given: string) => {
        saveToken(given);
        setRefusal(undefined);
        setToken(given);
      }}
    />`;
  }
  const current = VIEWS.find((v) => v.id === tab) ?? VIEWS[0]!;
  const View = current.view;
  return html`<header>
      <h1>Switchyard</h1>
      <nav>
        ${VIEWS.map(
          (v) =>
            html`<button
              type="button"
              class=${v.id === tab ? 'tab active' : 'tab'}
              data-tab=${v.id}
              aria-current=${v.id === tab ? 'page' : undefined}
              onClick=${() => setTab(v.id)}
            >
              ${v.label}
            </button>`,
        )}
      </nav>
      <button
        type="button"
        class="forget"
        data-action="forget-token"
        onClick=${() => {
          forgetToken();
          setToken(undefined);
        }}
      >
        Forget token
      </button>
    </header>
    <main data-view=${current.id}><${View} api=${api} /></main>`;
}
