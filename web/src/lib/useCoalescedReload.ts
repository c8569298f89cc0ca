import { useCallback, useEffect, useRef, useState } from 'react';

/** RELOAD_MS coalesces bursts of live notifications into one refetch. */
export const RELOAD_MS = 1500;

/**
 * useCoalescedReload returns a counter to put in fetch effects' deps and a
 * bump() for stream callbacks: a burst of notifications is one refetch.
 */
export function useCoalescedReload(ms: number = RELOAD_MS): [number, () => void] {
  const [reload, setReload] = useState(0);
  const pending = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const bump = useCallback(() => {
    clearTimeout(pending.current);
    pending.current = setTimeout(() => setReload((n) => n + 1), ms);
  }, [ms]);
  useEffect(() => () => clearTimeout(pending.current), []);
  return [reload, bump];
}

/** mentions reports whether a stream notification names id anywhere in it (identity, winner, loser, …). */
export function mentions(data: unknown, id: string): boolean {
  return id !== '' && JSON.stringify(data ?? null).includes(id);
}
