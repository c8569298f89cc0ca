import { useEffect, useMemo, useState } from 'react';
import { Link } from 'react-router-dom';
import { DataTable, Pager, type Column } from '../components/DataTable';
import { ErrorBox } from '../components/EmptyState';
import { LogEvent } from '../components/LogEvent';
import { PageHeader, Section } from '../components/PageHeader';
import { useToast } from '../components/Toast';
import { api, errorText, type Page } from '../lib/api';
import { csvFilename, download, logsToCSV } from '../lib/csv';
import { fmtNum, fmtTime } from '../lib/format';
import type { HistogramBucket, LogEntry } from '../lib/types';
import { intParam, useUrlState } from '../lib/urlState';
import { useStream } from '../lib/useStream';

/** Time ranges and the histogram bucket each uses, so a range has 12–96 bars. */
export const RANGES = {
  '15m': { label: 'LAST 15 MIN', ms: 15 * 60e3, bucket: 1 },
  '1h': { label: 'LAST 1 HOUR', ms: 60 * 60e3, bucket: 5 },
  '24h': { label: 'LAST 24 HOURS', ms: 24 * 3600e3, bucket: 60 },
  all: { label: 'ALL TIME', ms: 0, bucket: 1440 },
} as const;
type Range = keyof typeof RANGES;

const PAGE = 50;

/**
 * fillBuckets lays the server's non-empty buckets on the whole range, so a
 * quiet stretch is drawn as empty bars instead of vanishing. Buckets are
 * aligned to multiples of the interval, as the server counts them.
 */
export function fillBuckets(hist: HistogramBucket[], start: string | undefined, bucketMin: number, now: number): HistogramBucket[] {
  if (!start) return hist;
  const step = bucketMin * 60e3;
  const counts = new Map<number, number>();
  for (const b of hist) {
    const t = Math.floor(Date.parse(b.time) / step) * step;
    counts.set(t, (counts.get(t) ?? 0) + b.count);
  }
  const out: HistogramBucket[] = [];
  for (let t = Math.floor(Date.parse(start) / step) * step; t <= now; t += step) {
    out.push({ time: new Date(t).toISOString(), count: counts.get(t) ?? 0 });
  }
  return out;
}

function startTime(range: Range, now: number): string | undefined {
  const ms = RANGES[range].ms;
  return ms ? new Date(now - ms).toISOString() : undefined;
}

const columns: Column<LogEntry>[] = [
  { key: 'time', header: 'TIME', className: 'nowrap', render: (r) => fmtTime(r.timestamp) },
  { key: 'decky', header: 'DECKY', className: 'violet', render: (r) => r.decky },
  { key: 'svc', header: 'SVC', render: (r) => <span className="chip">{r.service}</span> },
  {
    key: 'ip',
    header: 'ATTACKER',
    render: (r) => (r.attacker_ip ? <Link to={`/attackers?q=${encodeURIComponent(r.attacker_ip)}`}>{r.attacker_ip}</Link> : '—'),
  },
  { key: 'event', header: 'EVENT', render: (r) => <LogEvent row={r} /> },
];

export default function LiveLogs() {
  const url = useUrlState({ q: '', time: '1h', live: '1', offset: '0' });
  const q = url.get('q');
  const range: Range = (Object.keys(RANGES) as Range[]).includes(url.get('time') as Range) ? (url.get('time') as Range) : '1h';
  const offset = intParam(url.get('offset'), 0, 0, 1e9);
  // Live only makes sense on the first page: new rows land on top.
  const live = url.get('live') === '1' && offset === 0;
  const toast = useToast();
  const [draft, setDraft] = useState(q);
  const [rows, setRows] = useState<LogEntry[]>([]);
  const [total, setTotal] = useState(0);
  const [hist, setHistRaw] = useState<HistogramBucket[]>([]);
  // The histogram's right edge is when its data arrived.
  const [histAt, setHistAt] = useState(0);
  const setHist = (h: HistogramBucket[]) => {
    setHistRaw(h);
    setHistAt(Date.now());
  };
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState('');
  // The window start is fixed when the query changes, so the REST page,
  // the histogram and the stream agree on it; reading the clock here is
  // the point, hence the purity exception.
  // eslint-disable-next-line react-hooks/exhaustive-deps, react-hooks/purity
  const start = useMemo(() => startTime(range, Date.now()), [range, q]);

  useEffect(() => setDraft(q), [q]);

  useEffect(() => {
    let stale = false;
    setLoading(true);
    setError('');
    Promise.all([
      api<Page<LogEntry>>('/logs', { query: { limit: PAGE, offset, search: q, start_time: start } }),
      api<HistogramBucket[]>('/logs/histogram', { query: { search: q, start_time: start, interval_minutes: RANGES[range].bucket } }),
    ])
      .then(([page, h]) => {
        if (stale) return;
        setRows(page.data);
        setTotal(page.total);
        setHist(h ?? []);
      })
      .catch((e: unknown) => !stale && setError(errorText(e)))
      .finally(() => !stale && setLoading(false));
    return () => {
      stale = true;
    };
  }, [q, offset, start, range]);

  const conn = useStream({
    path: '/stream',
    params: { search: q || undefined, start_time: start, interval_minutes: String(RANGES[range].bucket) },
    enabled: live,
    onMessage: (raw) => {
      const f = raw as { type: string; data: unknown };
      if (f.type === 'logs' && Array.isArray(f.data)) {
        const fresh = f.data as LogEntry[];
        setRows((cur) => {
          const seen = new Set(cur.map((r) => r.event_id));
          return [...fresh.filter((r) => !seen.has(r.event_id)), ...cur].slice(0, PAGE);
        });
      } else if (f.type === 'histogram' && Array.isArray(f.data)) {
        // Same search, window and bucket as the REST call: a drop-in update.
        setHist(f.data as HistogramBucket[]);
      }
    },
  });

  const bars = fillBuckets(hist, start, RANGES[range].bucket, histAt);
  const histTotal = hist.reduce((n, b) => n + b.count, 0);
  const peak = hist.reduce<HistogramBucket | null>((p, b) => (!p || b.count > p.count ? b : p), null);
  const maxCount = Math.max(1, peak?.count ?? 0);

  return (
    <div className="page">
      <PageHeader
        title="LIVE LOGS"
        sub={`${fmtNum(rows.length)} SHOWN · ${fmtNum(total)} MATCHES · STREAM ${live ? (conn === 'live' ? 'LIVE' : conn.toUpperCase()) : 'PAUSED'}`}
        actions={
          <>
            <button
              type="button"
              className={`btn${live ? '' : ' violet'}`}
              onClick={() => url.set({ live: live ? '0' : '1', offset: '0' })}
              aria-pressed={!live}
            >
              {live ? '❚❚ PAUSE' : '▶ GO LIVE'}
            </button>
            <button
              type="button"
              className="btn"
              disabled={rows.length === 0}
              onClick={() => {
                download(csvFilename(), logsToCSV(rows));
                toast.push(`EXPORTED ${rows.length} ROWS`);
              }}
            >
              ⤓ EXPORT CSV
            </button>
          </>
        }
      />
      <form
        className="toolbar"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          url.set({ q: draft.trim() });
        }}
      >
        <input
          className="input grow"
          data-page-search
          aria-label="Log query"
          placeholder="Query (e.g. decky:linux-server-01 service:ssh attacker:203.0.113.7 wget)"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
        />
        <button className="btn" type="submit">
          SEARCH
        </button>
        {q && (
          <button type="button" className="btn ghost" onClick={() => url.set({ q: '' })}>
            CLEAR
          </button>
        )}
        <select className="input" aria-label="Time range" value={range} onChange={(e) => url.set({ time: e.target.value })}>
          {(Object.keys(RANGES) as Range[]).map((k) => (
            <option key={k} value={k}>
              {RANGES[k].label}
            </option>
          ))}
        </select>
      </form>
      {error && <ErrorBox text={error} />}
      <Section
        title={`ATTACK VOLUME — ${RANGES[range].label}`}
        actions={peak && peak.count > 0 ? `PEAK ${peak.count} @ ${fmtTime(peak.time).slice(5, 16)} · ${fmtNum(histTotal)} IN RANGE` : undefined}
      >
        <div className="histogram" role="img" aria-label={`Histogram, ${bars.length} buckets, ${histTotal} events`} data-testid="histogram">
          {bars.map((b) => (
            <span key={b.time} title={`${fmtTime(b.time)} · ${b.count}`} style={{ height: `${Math.max(2, (b.count / maxCount) * 100)}%` }} />
          ))}
        </div>
      </Section>
      <Section title="LOG EXPLORER" actions={<Pager total={total} limit={PAGE} offset={offset} onOffset={(o) => url.set({ offset: String(o), live: o === 0 ? '1' : '0' })} />}>
        <DataTable
          columns={columns}
          rows={rows}
          rowKey={(r) => r.event_id || String(r.id)}
          loading={loading}
          caption="Log rows"
          empty={{ title: 'NO MATCHING EVENTS', hint: q ? 'try a wider time range or a shorter query' : 'waiting for the first decky hit' }}
        />
      </Section>
    </div>
  );
}
