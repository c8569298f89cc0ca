import { useEffect, useState } from 'react';
import { api } from './api';

/** ServerConfig is GET /config: the caller's role and the fleet settings. */
export interface ServerConfig {
  role: string;
  deployment_limit?: number;
  global_mutation_interval?: string;
}

/**
 * useServerConfig reads GET /config once per mount: the caller's role and the
 * fleet settings; null until it answers (or when it fails). Pages use the
 * role to hide actions the server would refuse (viewer) rather than letting
 * them 403 — the server still enforces every route.
 */
export function useServerConfig(): { config: ServerConfig | null; loaded: boolean } {
  const [config, setConfig] = useState<ServerConfig | null>(null);
  const [loaded, setLoaded] = useState(false);
  useEffect(() => {
    let stale = false;
    api<ServerConfig>('/config')
      .then((c) => !stale && setConfig(c))
      .catch(() => !stale && setConfig(null))
      .finally(() => !stale && setLoaded(true));
    return () => {
      stale = true;
    };
  }, []);
  return { config, loaded };
}

/** useRole is the caller's role ('admin', 'viewer'), '' until GET /config answers: treat '' as no admin rights. */
export function useRole(): string {
  return useServerConfig().config?.role ?? '';
}
