import { readEventStream, type SseMessage } from './sse.js';

/** A failed admin API call: `status` 0 when the router did not answer. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }

  /** The token was missing or refused (401, 403). */
  get refused(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

export interface AdminApi {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body: unknown): Promise<T>;
  delete(path: string): Promise<void>;
  /** Opens an event stream (the live stream); resolves when it ends, rejects with ApiError when it cannot open. */
  stream(path: string, onMessage: (message: SseMessage) => void, signal: AbortSignal): Promise<void>;
}

const messageOf = (json: unknown): string | undefined => {
  const error = (json as { error?: { message?: unknown } } | undefined)?.error;
  return typeof error?.message === 'string' ? error.message : undefined;
};

/**
 * The admin API of the router that served the page, with the token as a bearer header on every call (never in
 * the URL, never a cookie). `onRefused` hears every 401 and 403, so the page can ask for a token again.
 */
export function createAdminApi(token: string, onRefused: (error: ApiError) => void): AdminApi {
  const headers = (extra: Record<string, string> = {}) => ({ authorization: `Bearer ${token}`, ...extra });
  const send = async (method: string, path: string, init: RequestInit): Promise<Response> => {
    let response: Response;
    try {
      response = await fetch(path, { method, credentials: 'omit', cache: 'no-store', ...init });
    } catch (error) {
      throw new ApiError(0, `the router does not answer ${method} ${path} (${(error as Error).message})`);
    }
    if (response.ok) return response;
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const failure = new ApiError(response.status, messageOf(json) ?? `${method} ${path} answered HTTP ${response.status}`);
    if (failure.refused) onRefused(failure);
    throw failure;
  };
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await send(method, path, {
      headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  };
  return {
    get: (path) => call('GET', path),
    post: (path, body) => call('POST', path, body),
    delete: async (path) => {
      await call('DELETE', path);
    },
    stream: async (path, onMessage, signal) => {
      const response = await send('GET', path, { headers: headers({ accept: 'text/event-stream' }), signal });
      if (!response.body) throw new ApiError(0, `GET ${path} answered without a body`);
      await readEventStream(response.body, onMessage, signal);
    },
  };
}
