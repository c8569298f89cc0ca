// The one SSE client every live view uses (web.md §5 "rewrite advice").
//
// EventSource cannot send an Authorization header, so every connect — and
// every reconnect — first mints a single-use ticket (POST /auth/sse-ticket)
// and passes it in the URL. The browser's own auto-retry would reuse the
// consumed ticket (the original's LiveLogs bug, web.md §8.3), so on error
// the source is closed and reopened here with a fresh ticket after an
// exponential backoff with jitter. The last event id is passed back as
// lastEventId so the /stream resume drops nothing across a reconnect.
import { API_BASE, ApiError, api, buildQuery } from './api';

export type ConnState = 'connecting' | 'live' | 'offline';

export interface StreamOptions {
  /** Path under /api/v1, e.g. "/stream". */
  path: string;
  params?: Record<string, string | undefined>;
  /** Default (unnamed "message") frames, JSON-decoded. */
  onMessage?: (data: unknown) => void;
  /** Named events (snapshot, ttp.tagged, …), JSON-decoded. */
  events?: Record<string, (data: unknown) => void>;
  onState?: (s: ConnState) => void;
}

export interface Stream {
  close(): void;
}

/** Backoff bounds: 1 s doubling to 30 s, each delay jittered to 50–100 %. */
export const BACKOFF_BASE_MS = 1000;
export const BACKOFF_MAX_MS = 30000;

export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt);
  return Math.round(ceiling * (0.5 + random() * 0.5));
}

function parse(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}

export function openStream(opts: StreamOptions): Stream {
  let es: EventSource | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let attempt = 0;
  let closed = false;
  let lastEventId = '';
  const id = registry.add();

  const setState = (s: ConnState) => {
    registry.set(id, s);
    opts.onState?.(s);
  };

  const retry = () => {
    if (closed) return;
    setState('offline');
    timer = setTimeout(connect, backoffDelay(attempt++));
  };

  async function connect() {
    if (closed) return;
    setState('connecting');
    let ticket: string;
    try {
      ticket = (await api<{ ticket: string }>('/auth/sse-ticket', { method: 'POST' })).ticket;
    } catch (err) {
      // 401 logs the operator out (the api client does that); 403 will not
      // change by retrying. Anything else is transient.
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
        setState('offline');
        return;
      }
      retry();
      return;
    }
    if (closed) return;
    const url = API_BASE + opts.path + buildQuery({ ...opts.params, ticket, lastEventId: lastEventId || undefined });
    const src = new EventSource(url);
    es = src;
    src.onopen = () => {
      attempt = 0;
      setState('live');
    };
    src.onmessage = (ev: MessageEvent<string>) => {
      if (ev.lastEventId) lastEventId = ev.lastEventId;
      opts.onMessage?.(parse(ev.data));
    };
    for (const [name, fn] of Object.entries(opts.events ?? {})) {
      src.addEventListener(name, (ev) => fn(parse((ev as MessageEvent<string>).data)));
    }
    src.onerror = () => {
      src.close();
      if (es === src) es = null;
      retry();
    };
  }

  void connect();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      es?.close();
      es = null;
      registry.remove(id);
    },
  };
}

// The registry aggregates the state of every open stream for the shell's
// connection indicator: OFFLINE if any stream is down, CONNECTING while any
// is connecting, LIVE when all are up, IDLE when the page has none.
export type Aggregate = ConnState | 'idle';
type Listener = (s: Aggregate) => void;

export const registry = (() => {
  const states = new Map<number, ConnState>();
  const listeners = new Set<Listener>();
  let next = 1;
  const aggregate = (): Aggregate => {
    const all = [...states.values()];
    if (all.length === 0) return 'idle';
    if (all.includes('offline')) return 'offline';
    if (all.includes('connecting')) return 'connecting';
    return 'live';
  };
  const emit = () => listeners.forEach((l) => l(aggregate()));
  return {
    add(): number {
      const id = next++;
      states.set(id, 'connecting');
      emit();
      return id;
    },
    set(id: number, s: ConnState) {
      if (!states.has(id)) return;
      states.set(id, s);
      emit();
    },
    remove(id: number) {
      states.delete(id);
      emit();
    },
    aggregate,
    subscribe(l: Listener): () => void {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
})();
