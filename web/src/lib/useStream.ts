import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { openStream, registry, type Aggregate, type ConnState, type StreamOptions } from './sse';

/**
 * useStream keeps one SSE connection open while enabled. Callbacks live in a
 * ref, so a re-render of the consumer never reconnects; a change of path or
 * params does.
 */
export function useStream(
  opts: Omit<StreamOptions, 'onState'> & { enabled?: boolean },
): ConnState | 'closed' {
  const [state, setState] = useState<ConnState | 'closed'>('closed');
  const ref = useRef(opts);
  useEffect(() => {
    ref.current = opts;
  });
  const enabled = opts.enabled ?? true;
  const key = JSON.stringify([opts.path, opts.params ?? {}, Object.keys(opts.events ?? {})]);
  useEffect(() => {
    if (!enabled) {
      setState('closed');
      return;
    }
    const [path, params, names] = JSON.parse(key) as [string, Record<string, string>, string[]];
    const events: Record<string, (d: unknown) => void> = {};
    for (const n of names) events[n] = (d) => ref.current.events?.[n]?.(d);
    const s = openStream({
      path,
      params,
      onMessage: (d) => ref.current.onMessage?.(d),
      events,
      onState: setState,
    });
    return () => s.close();
  }, [key, enabled]);
  return state;
}

/** useConnectionState is the aggregate of every open stream, for the shell indicator. */
export function useConnectionState(): Aggregate {
  return useSyncExternalStore(registry.subscribe, registry.aggregate);
}
