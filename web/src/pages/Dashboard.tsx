import { useCallback, useEffect, useRef, useState } from 'react';
import { Link } from 'react-router-dom';
import { EmptyState, ErrorBox } from '../components/EmptyState';
import { LogEvent } from '../components/LogEvent';
import { PageHeader, Section } from '../components/PageHeader';
import { api, errorText, type Page } from '../lib/api';
import { fmtAgo, fmtClock, fmtNum } from '../lib/format';
import type { Attacker, Decky, LogEntry, Stats } from '../lib/types';
import { useStream } from '../lib/useStream';

/** FEED_CAP bounds the live buffer; FEED_SHOWN rows are drawn. */
const FEED_CAP = 200;
const FEED_SHOWN = 14;
/** SIEGE_WINDOW_MS is the "under siege" window (the original's 5 minutes). */
const SIEGE_WINDOW_MS = 5 * 60 * 1000;
/** TOP_REFRESH_MS throttles the top-attackers refetch that stats frames trigger. */
const TOP_REFRESH_MS = 10_000;

interface StreamFrame {
  type: string;
  data: unknown;
}

function rowKey(r: LogEntry): string {
  return r.event_id || `${r.id}`;
}

export function Dashboard() {
  const [stats, setStats] = useState<Stats | null>(null);
  const [spark, setSpark] = useState<number[]>([]);
  const [feed, setFeed] = useState<LogEntry[]>([]);
  const [deckies, setDeckies] = useState<Decky[]>([]);
  const [top, setTop] = useState<Attacker[] | null>(null);
  const [error, setError] = useState('');
  const [now, setNow] = useState(() => Date.now());
  const lastTop = useRef(0);
  const prevTotal = useRef<number | null>(null);

  const loadTop = useCallback(() => {
    lastTop.current = Date.now();
    api<Page<Attacker>>('/attackers', { query: { sort_by: 'active', limit: 5 } })
      .then((p) => setTop(p.data))
      .catch((e: unknown) => setError(errorText(e)));
  }, []);

  const applyStats = useCallback((s: Stats) => {
    setStats(s);
    if (prevTotal.current !== null) {
      const delta = Math.max(0, s.total_logs - prevTotal.current);
      setSpark((xs) => [...xs, delta].slice(-12));
    }
    prevTotal.current = s.total_logs;
  }, []);

  useEffect(() => {
    api<Stats>('/stats').then(applyStats).catch((e: unknown) => setError(errorText(e)));
    api<Page<LogEntry>>('/logs', { query: { limit: 50 } })
      .then((p) => setFeed((cur) => merge(cur, p.data)))
      .catch((e: unknown) => setError(errorText(e)));
    api<Decky[]>('/deckies')
      .then(setDeckies)
      .catch((e: unknown) => setError(errorText(e)));
    loadTop();
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [applyStats, loadTop]);

  const conn = useStream({
    path: '/stream',
    onMessage: (raw) => {
      const f = raw as StreamFrame;
      if (f.type === 'stats') {
        applyStats(f.data as Stats);
        if (Date.now() - lastTop.current > TOP_REFRESH_MS) loadTop();
      } else if (f.type === 'logs' && Array.isArray(f.data)) {
        setFeed((cur) => merge(f.data as LogEntry[], cur));
      }
    },
  });

  const recent = feed.filter((r) => now - new Date(r.timestamp).getTime() <= SIEGE_WINDOW_MS);
  const hits = new Map<string, number>();
  for (const r of recent) hits.set(r.decky, (hits.get(r.decky) ?? 0) + 1);
  const siege = [...deckies].sort((a, b) => (hits.get(b.name) ?? 0) - (hits.get(a.name) ?? 0) || a.name.localeCompare(b.name));
  const maxHits = Math.max(1, ...siege.map((d) => hits.get(d.name) ?? 0));
  const maxEvents = Math.max(1, ...(top ?? []).map((a) => a.event_count));
  const sparkMax = Math.max(1, ...spark);

  return (
    <div className="page dashboard">
      <PageHeader
        title="DASHBOARD"
        sub={
          <>
            FLEET · {fmtNum(stats?.deployed_deckies)} DECKIES · {fmtNum(recent.length)} HITS IN 5M ·{' '}
            <span className={conn === 'live' ? 'matrix blink' : 'dim'}>{conn === 'live' ? 'LIVE' : conn.toUpperCase()}</span>
          </>
        }
      />
      {error && <ErrorBox text={error} />}
      <div className="stat-grid" aria-label="Key figures">
        <div className="stat-card">
          <div className="stat-label">TOTAL INTERACTIONS</div>
          <div className="stat-value" data-testid="kpi-total">
            {stats ? fmtNum(stats.total_logs) : '…'}
          </div>
          <div className="spark" aria-hidden="true">
            {spark.map((v, i) => (
              <span key={i} style={{ height: `${Math.max(8, (v / sparkMax) * 100)}%`, opacity: 0.3 + 0.7 * (v / sparkMax) }} />
            ))}
          </div>
        </div>
        <div className="stat-card alert-card">
          <div className="stat-label">UNIQUE ATTACKERS</div>
          <div className="stat-value" data-testid="kpi-attackers">
            {stats ? fmtNum(stats.unique_attackers) : '…'}
          </div>
        </div>
        <div className="stat-card">
          <div className="stat-label">ACTIVE DECKIES</div>
          <div className="stat-value" data-testid="kpi-deckies">
            {stats ? `${fmtNum(stats.active_deckies)} / ${fmtNum(stats.deployed_deckies)}` : '…'}
          </div>
          <div className="stat-sub dim">OF TOTAL FLEET</div>
        </div>
        <div className="stat-card">
          <div className="stat-label">HITS · LAST 5 MIN</div>
          <div className="stat-value">{fmtNum(recent.length)}</div>
        </div>
      </div>
      <div className="dash-grid">
        <Section title="LIVE INTERACTION FEED" actions={<Link to="/live-logs">OPEN LIVE LOGS ›</Link>}>
          {feed.length === 0 ? (
            <EmptyState title="NO INTERACTION DETECTED" hint="waiting for the first decky hit" />
          ) : (
            <div className="table-wrap">
              <table className="data-table" data-testid="live-feed">
                <thead>
                  <tr>
                    <th scope="col">TIME</th>
                    <th scope="col">DECKY</th>
                    <th scope="col">SVC</th>
                    <th scope="col">ATTACKER</th>
                    <th scope="col">EVENT</th>
                  </tr>
                </thead>
                <tbody>
                  {feed.slice(0, FEED_SHOWN).map((r) => (
                    <tr key={rowKey(r)} className="row-enter">
                      <td className="nowrap">{fmtClock(r.timestamp)}</td>
                      <td className="violet nowrap">{r.decky}</td>
                      <td>
                        <span className="chip">{r.service}</span>
                      </td>
                      <td>{r.attacker_ip ? <Link to={`/attackers?q=${encodeURIComponent(r.attacker_ip)}`}>{r.attacker_ip}</Link> : '—'}</td>
                      <td>
                        <LogEvent row={r} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Section>
        <div className="dash-side">
          <Section title="DECKIES UNDER SIEGE">
            {siege.length === 0 ? (
              <EmptyState compact title="NO DECKIES" hint="deploy one with decnet deploy" />
            ) : (
              <ul className="bar-list">
                {siege.slice(0, 6).map((d) => {
                  const n = hits.get(d.name) ?? 0;
                  const cls = d.state !== 'running' ? 'warn' : n > 30 ? 'hot' : n > 10 ? 'warn' : 'active';
                  return (
                    <li key={d.name}>
                      <Link to={`/live-logs?q=${encodeURIComponent(`decky:${d.name}`)}`} className="bar-row">
                        <span className={`status-dot ${cls}`} aria-hidden="true" />
                        <span className="violet">{d.name}</span>
                        <span className="dim">{d.ip}</span>
                        <span className="bar-count">{n}</span>
                        <span className="bar-track" aria-hidden="true">
                          <span style={{ width: `${(n / maxHits) * 100}%` }} />
                        </span>
                      </Link>
                    </li>
                  );
                })}
              </ul>
            )}
          </Section>
          <Section title="TOP ATTACKERS" actions={<Link to="/attackers?sort_by=active">ALL ›</Link>}>
            {top === null ? null : top.length === 0 ? (
              <EmptyState compact title="NO ATTACKERS YET" hint="nothing on the radar" />
            ) : (
              <ul className="bar-list">
                {top.map((a) => (
                  <li key={a.uuid}>
                    <Link to={`/attackers/${a.uuid}`} className="bar-row">
                      <span className="matrix">{a.ip}</span>
                      <span className="dim">{fmtAgo(a.last_seen, now)}</span>
                      <span className="bar-count">{fmtNum(a.event_count)}</span>
                      <span className={`bar-track${a.event_count > 0.6 * maxEvents ? ' hot' : ''}`} aria-hidden="true">
                        <span style={{ width: `${(a.event_count / maxEvents) * 100}%` }} />
                      </span>
                    </Link>
                  </li>
                ))}
              </ul>
            )}
          </Section>
        </div>
      </div>
    </div>
  );
}

/** merge puts fresh rows first, drops duplicates (a stream row and its stored copy share event_id) and caps the buffer. */
function merge(fresh: LogEntry[], cur: LogEntry[]): LogEntry[] {
  const seen = new Set<string>();
  const out: LogEntry[] = [];
  for (const r of [...fresh, ...cur]) {
    const k = rowKey(r);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(r);
  }
  out.sort((a, b) => b.timestamp.localeCompare(a.timestamp));
  return out.slice(0, FEED_CAP);
}
