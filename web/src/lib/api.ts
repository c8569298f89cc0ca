// The one HTTP client. The API base is relative so the dashboard works from
// whatever host and port serves it (web.md §8.2: the original's absolute
// default only worked when the browser ran on the API host).
export const API_BASE = '/api/v1';

const TOKEN_KEY = 'decnet_token';

// The token lives in sessionStorage: it survives a reload of the tab but not
// the tab itself, is not shared with other tabs and is gone when the browser
// closes, so a stolen laptop or a forgotten tab does not keep an operator
// session around the way localStorage would. Keeping it only in memory would
// log the operator out on every reload.
export function getToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** Fired on window when the server rejects the token (401): the shell returns to the login screen. */
export const LOGOUT_EVENT = 'decnet:logout';

export class ApiError extends Error {
  readonly status: number;
  readonly detail: string;
  constructor(status: number, detail: string) {
    super(`${status}: ${detail}`);
    this.status = status;
    this.detail = detail;
  }
}

type Query = Record<string, string | number | boolean | undefined | null>;

export function buildQuery(q: Query | undefined): string {
  if (!q) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null || v === '') continue;
    p.set(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

export interface RequestOptions {
  method?: string;
  query?: Query;
  body?: unknown;
  /** A token other than the stored one (the forced password change uses the temporary login token). */
  token?: string | null;
  signal?: AbortSignal;
  /** Error statuses whose body is still the answer (GET /health is 503 with its report when unhealthy). */
  accept?: number[];
}

async function send(path: string, opts: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const token = opts.token !== undefined ? opts.token : getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  const res = await fetch(API_BASE + path + buildQuery(opts.query), {
    method: opts.method ?? 'GET',
    headers,
    body,
    signal: opts.signal,
  });
  if (!res.ok && !opts.accept?.includes(res.status)) {
    let detail = res.statusText || 'Request failed';
    try {
      const j = (await res.json()) as { detail?: unknown };
      if (typeof j.detail === 'string') detail = j.detail;
    } catch {
      /* not JSON: keep the status text */
    }
    // A 401 on an authenticated call means the token expired or was
    // revoked (password change, role change): back to the login screen.
    // The login call itself answers 401 for a wrong password; that is an
    // error for the form, not a logout.
    if (res.status === 401 && token && opts.token === undefined) {
      setToken(null);
      window.dispatchEvent(new Event(LOGOUT_EVENT));
    }
    throw new ApiError(res.status, detail);
  }
  return res;
}

/** api performs one JSON request under /api/v1 and returns the decoded body. */
export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await send(path, opts);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/**
 * apiBlob performs one authenticated GET and returns the body as a Blob:
 * downloads that need the bearer token (artifact files, STIX/MISP exports)
 * cannot be plain <a href> links.
 */
export async function apiBlob(path: string, opts: RequestOptions = {}): Promise<Blob> {
  const res = await send(path, { ...opts, method: 'GET' });
  return res.blob();
}

/** Page is the list shape every paged endpoint returns. */
export interface Page<T> {
  data: T[];
  total: number;
  limit: number;
  offset: number;
}

export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.detail;
  if (err instanceof Error) return err.message;
  return String(err);
}
