/**
 * The admin token lives in sessionStorage (this tab only, gone when it closes). It may arrive in the URL
 * fragment, `#token=…`, which browsers never send to a server; the page takes it and removes it from the
 * address bar and history at once. It is never put in a query string.
 */
const KEY = 'switchyard.adminToken';

/** The token from `#token=…`, removed from the address bar; undefined when the fragment has none. */
export function takeTokenFromFragment(): string | undefined {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  const token = params.get('token');
  if (token === null) return undefined;
  params.delete('token');
  const rest = params.toString();
  history.replaceState(history.state, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
  return token.trim() || undefined;
}

export const storedToken = (): string | undefined => sessionStorage.getItem(KEY) ?? undefined;
export const saveToken = (token: string): void => sessionStorage.setItem(KEY, token);
export const forgetToken = (): void => sessionStorage.removeItem(KEY);
