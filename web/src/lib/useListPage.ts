import { useCallback, useEffect, useRef, useState } from 'react';
import { api, errorText, type Page } from './api';
import type { Decky } from './types';
import { useCoalescedReload } from './useCoalescedReload';
import { intParam, useUrlState } from './urlState';
import { useStream } from './useStream';

type QueryValue = string | number | boolean | undefined | null;
export type UrlState = ReturnType<typeof useUrlState>;

export interface ListPageOptions {
  /** The paged endpoint under /api/v1 (it answers a Page<T>). */
  path: string;
  /** Page size: the request's limit and the Pager's step. */
  limit: number;
  /** The URL params this list owns, with their defaults; `offset` ('0') is added. */
  defaults?: Record<string, string>;
  /**
   * query maps the URL state to the request's filters (limit and offset are
   * added). It runs on every render; the request is keyed on its result, so
   * it is re-sent exactly when a filter, the offset or a reload changes.
   */
  query?: (url: UrlState) => Record<string, QueryValue>;
  /** A notification stream whose named events (coalesced) refetch the page. */
  live?: { path: string; events: readonly string[] };
}

export interface ListPage<T> {
  /** URL state: get a param (or its default), set a patch (a filter resets the offset). */
  url: UrlState;
  get: (k: string) => string;
  set: (patch: Record<string, string | undefined>) => void;
  limit: number;
  offset: number;
  setOffset: (o: number) => void;
  /** The last page that landed; kept while a newer request is in flight. */
  page: Page<T> | null;
  rows: T[];
  /** No page has landed yet. */
  loading: boolean;
  /** A request is in flight (the first one or a refetch). */
  pending: boolean;
  /** The last request's error, '' when none. */
  error: string;
  /** Refetches the current page at once. */
  reload: () => void;
  /** The row whose drawer is open. */
  selected: T | null;
  select: (row: T | null) => void;
}

/**
 * useListPage is the skeleton of a server-paged list page: filters and the
 * offset live in the URL, the page is fetched whenever they change (the
 * previous request is aborted, and a late answer to it is dropped, so a stale
 * page never overwrites a newer one), loading/error state is tracked, a live
 * stream (optional) coalesces notifications into refetches, and one row can
 * be selected for a drawer.
 *
 * The error is cleared when the filters or the offset change and when a
 * request succeeds; a reload of the same page keeps it until then.
 */
export function useListPage<T>({ path, limit, defaults = {}, query, live }: ListPageOptions): ListPage<T> {
  const url = useUrlState({ ...defaults, offset: '0' });
  const offset = intParam(url.get('offset'), 0, 0, 1e9);
  const [page, setPage] = useState<Page<T> | null>(null);
  const [error, setError] = useState('');
  const [pending, setPending] = useState(true);
  const [selected, select] = useState<T | null>(null);
  const [bumped, bumpNow] = useState(0);
  const [coalesced, bump] = useCoalescedReload();
  const lastKey = useRef('');

  const key = JSON.stringify([path, { limit, offset, ...(query?.(url) ?? {}) }]);
  useEffect(() => {
    const [p, q] = JSON.parse(key) as [string, Record<string, QueryValue>];
    if (lastKey.current !== key) setError('');
    lastKey.current = key;
    const ctl = new AbortController();
    setPending(true);
    api<Page<T>>(p, { query: q, signal: ctl.signal })
      .then((res) => {
        if (ctl.signal.aborted) return;
        setPage(res);
        setError('');
      })
      .catch((e: unknown) => {
        if (!ctl.signal.aborted) setError(errorText(e));
      })
      .finally(() => {
        if (!ctl.signal.aborted) setPending(false);
      });
    return () => ctl.abort();
  }, [key, bumped, coalesced]);

  useStream({
    path: live?.path ?? '',
    enabled: live !== undefined,
    events: Object.fromEntries((live?.events ?? []).map((e) => [e, bump])),
  });

  const { set } = url;
  const setOffset = useCallback((o: number) => set({ offset: String(o) }), [set]);
  const reload = useCallback(() => bumpNow((n) => n + 1), [bumpNow]);

  return {
    url,
    get: url.get,
    set,
    limit,
    offset,
    setOffset,
    page,
    rows: page?.data ?? [],
    loading: page === null,
    pending,
    error,
    reload,
    selected,
    select,
  };
}

/**
 * useFleetServices lists every service the fleet exposes, for a list's
 * service filter: it offers what the fleet runs, not only what the current
 * page happens to show (web.md §8.10).
 */
export function useFleetServices(): string[] {
  const [services, setServices] = useState<string[]>([]);
  useEffect(() => {
    const ctl = new AbortController();
    api<Decky[]>('/deckies', { signal: ctl.signal })
      .then((ds) => !ctl.signal.aborted && setServices([...new Set(ds.flatMap((d) => d.services ?? []))].sort()))
      .catch(() => !ctl.signal.aborted && setServices([]));
    return () => ctl.abort();
  }, []);
  return services;
}
