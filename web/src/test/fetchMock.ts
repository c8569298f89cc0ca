import { vi } from 'vitest';

export interface Call {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: unknown;
}

/** Reply is a response with a status other than 200; plain values are 200 JSON bodies. */
export class Reply {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}
export const reply = (status: number, body: unknown = null) => new Reply(status, body);

type Responder = (call: Call) => Reply | unknown;

interface Route {
  method: string;
  path: string | RegExp;
  respond: Responder;
  times?: number;
}

/**
 * fetchMock is a strict HTTP mock: a request no route answers is recorded
 * as unhandled, answered 599, and fails the test in afterEach. Routes
 * match the method and the path under /api/v1 (a string or a RegExp).
 */
export const fetchMock = (() => {
  let routes: Route[] = [];
  let calls: Call[] = [];
  let unhandled: string[] = [];
  return {
    /** on answers method+path with a value (200 JSON), a reply(), or a function of the call; later routes win. */
    on(method: string, path: string | RegExp, respond: Responder | Reply | object | null, times?: number) {
      const r = typeof respond === 'function' ? (respond as Responder) : () => respond;
      routes.unshift({ method, path, respond: r, times });
      return this;
    },
    calls: (method?: string, path?: string) => calls.filter((c) => (!method || c.method === method) && (!path || c.path === path)),
    unhandled: () => unhandled,
    reset() {
      routes = [];
      calls = [];
      unhandled = [];
    },
    async handle(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
      const url = new URL(String(input), 'http://localhost');
      const method = (init?.method ?? 'GET').toUpperCase();
      const path = url.pathname.replace(/^\/api\/v1/, '');
      const headers = (init?.headers ?? {}) as Record<string, string>;
      const call: Call = { method, path, query: url.searchParams, headers, body: init?.body ? JSON.parse(String(init.body)) : undefined };
      calls.push(call);
      const route = routes.find((r) => r.method === method && (typeof r.path === 'string' ? r.path === path : r.path.test(path)) && r.times !== 0);
      if (!route) {
        unhandled.push(`${method} ${url.pathname}${url.search}`);
        return new Response(JSON.stringify({ detail: 'unmocked' }), { status: 599 });
      }
      if (route.times !== undefined) route.times--;
      const out = route.respond(call);
      const status = out instanceof Reply ? out.status : 200;
      const body = out instanceof Reply ? out.body : out;
      return new Response(status === 204 ? null : JSON.stringify(body ?? null), { status, headers: { 'Content-Type': 'application/json' } });
    },
  };
})();

export function installFetchMock() {
  fetchMock.reset();
  vi.stubGlobal('fetch', vi.fn((input: RequestInfo | URL, init?: RequestInit) => fetchMock.handle(input, init)));
}
