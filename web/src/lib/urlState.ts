import { useCallback } from 'react';
import { useSearchParams } from 'react-router-dom';

/**
 * useUrlState reads list state (filters, sort, paging) from the URL and
 * writes it back, so every view is linkable and survives reload
 * (web.md §9(c)). Setting a filter resets offset unless it is the offset.
 */
export function useUrlState(defaults: Record<string, string>) {
  const [params, setParams] = useSearchParams();
  const get = (k: string): string => params.get(k) ?? defaults[k] ?? '';
  const set = useCallback(
    (patch: Record<string, string | undefined>) => {
      setParams(
        (prev) => {
          const next = new URLSearchParams(prev);
          for (const [k, v] of Object.entries(patch)) {
            if (v === undefined || v === '' || v === defaults[k]) next.delete(k);
            else next.set(k, v);
          }
          if (!('offset' in patch)) next.delete('offset');
          return next;
        },
        { replace: true },
      );
    },
    // defaults is a literal at each call site; its content never changes.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [setParams],
  );
  return { get, set, params };
}

export function intParam(v: string, fallback: number, min: number, max: number): number {
  const n = Number.parseInt(v, 10);
  if (!Number.isFinite(n)) return fallback;
  return Math.min(max, Math.max(min, n));
}
