import { Fragment, useEffect, useId, useMemo, useState, type KeyboardEvent, type MouseEvent } from 'react';
import { Link } from 'react-router-dom';
import { Pager, type Column } from '../components/DataTable';
import { KV } from '../components/Drawer';
import { EmptyState, ErrorBox } from '../components/EmptyState';
import { LogEvent } from '../components/LogEvent';
import { PageHeader, Section } from '../components/PageHeader';
import { useToast } from '../components/Toast';
import { api, errorText, type Page } from '../lib/api';
import { csvFilename, logsToCSV } from '../lib/csv';
import { downloadText } from '../lib/download';
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

/** TimeWindow is a histogram bucket the view is narrowed to: [from, to) in ms. */
export interface TimeWindow {
  from: number;
  to: number;
}

/** parseWindow reads the from/to URL params; anything but a non-empty ISO interval is no window. */
export function parseWindow(from: string, to: string): TimeWindow | null {
  if (!from || !to) return null;
  const f = Date.parse(from);
  const t = Date.parse(to);
  return Number.isFinite(f) && Number.isFinite(t) && t > f ? { from: f, to: t } : null;
}

/** windowBucket is the bar width, in minutes, for a narrowed window: a day in hours, an hour in 5 min, less in minutes. */
export function windowBucket(w: TimeWindow): number {
  const min = (w.to - w.from) / 60e3;
  return min >= 24 * 60 ? 60 : min >= 60 ? 5 : 1;
}

/**
 * inclusiveEnd is the API's end_time for a window ending (exclusively) at
 * to: the server bounds are inclusive at microsecond precision, so the
 * last microsecond before the next bucket.
 */
export function inclusiveEnd(to: number): string {
  return `${new Date(to - 1000).toISOString().slice(0, 19)}.999999Z`;
}

function windowLabel(from: number, to: number): string {
  const a = fmtTime(new Date(from).toISOString()).slice(0, 16);
  const b = fmtTime(new Date(to).toISOString()).slice(0, 16);
  // Same day: only the clock of the end.
  return `${a}–${a.slice(0, 10) === b.slice(0, 10) ? b.slice(11) : b} UTC`;
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
  const url = useUrlState({ q: '', time: '1h', live: '1', offset: '0', from: '', to: '' });
  const q = url.get('q');
  const range: Range = (Object.keys(RANGES) as Range[]).includes(url.get('time') as Range) ? (url.get('time') as Range) : '1h';
  const offset = intParam(url.get('offset'), 0, 0, 1e9);
  // A clicked histogram bucket narrows the view to [from, to); the range
  // select still names the range to go back to.
  const win = parseWindow(url.get('from'), url.get('to'));
  const winKey = win ? `${win.from}-${win.to}` : '';
  // Live only makes sense on the first page of an open-ended range: new
  // rows land on top, and never inside a past window.
  const live = url.get('live') === '1' && offset === 0 && !win;
  const toast = useToast();
  const [draft, setDraft] = useState(q);
  const [rows, setRows] = useState<LogEntry[]>([]);
  const [total, setTotal] = useState(0);
  // The histogram's right edge is when its data arrived.
  const [{ hist, histAt }, setHistState] = useState<{ hist: HistogramBucket[]; histAt: number }>({ hist: [], histAt: 0 });
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState('');
  // The histogram is one tab stop (the bar last focused, else the newest);
  // arrow keys, Home and End move between bars.
  const [barFocus, setBarFocus] = useState('');
  // The window start is fixed when the query changes, so the REST page,
  // the histogram and the stream agree on it; reading the clock here is
  // the point, hence the purity exception.
  // eslint-disable-next-line react-hooks/exhaustive-deps, react-hooks/purity
  const rangeStart = useMemo(() => startTime(range, Date.now()), [range, q, winKey]);
  const start = win ? new Date(win.from).toISOString() : rangeStart;
  const end = win ? inclusiveEnd(win.to) : undefined;
  const bucket = win ? windowBucket(win) : RANGES[range].bucket;

  useEffect(() => setDraft(q), [q]);

  useEffect(() => {
    let stale = false;
    setLoading(true);
    setError('');
    Promise.all([
      api<Page<LogEntry>>('/logs', { query: { limit: PAGE, offset, search: q, start_time: start, end_time: end } }),
      api<HistogramBucket[]>('/logs/histogram', { query: { search: q, start_time: start, end_time: end, interval_minutes: bucket } }),
    ])
      .then(([page, h]) => {
        if (stale) return;
        setRows(page.data);
        setTotal(page.total);
        setHistState({ hist: h ?? [], histAt: Date.now() });
      })
      .catch((e: unknown) => !stale && setError(errorText(e)))
      .finally(() => !stale && setLoading(false));
    return () => {
      stale = true;
    };
  }, [q, offset, start, end, bucket]);

  const conn = useStream({
    path: '/stream',
    params: { search: q || undefined, start_time: start, interval_minutes: String(bucket) },
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
        setHistState({ hist: f.data as HistogramBucket[], histAt: Date.now() });
      }
    },
  });

  // A window's bars end at its end; an open range's at the data's arrival.
  const bars = fillBuckets(hist, start, bucket, win ? win.to - 1 : histAt);
  const step = bucket * 60e3;
  // Narrowing further only helps when a bar is shorter than the window.
  const narrowable = !win || step < win.to - win.from;
  const tabBar = bars.some((b) => b.time === barFocus) ? barFocus : bars.at(-1)?.time;
  const onHistKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const btns = [...e.currentTarget.querySelectorAll<HTMLButtonElement>('button.hist-bar')];
    const i = btns.indexOf(e.target as HTMLButtonElement);
    const moves: Record<string, number> = { ArrowLeft: i - 1, ArrowRight: i + 1, Home: 0, End: btns.length - 1 };
    if (i < 0 || !(e.key in moves)) return;
    e.preventDefault();
    btns[Math.max(0, Math.min(btns.length - 1, moves[e.key]!))]?.focus();
  };
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
              // Going live returns to the open-ended range from a past window.
              onClick={() => url.set(live ? { live: '0', offset: '0' } : { live: '1', offset: '0', from: undefined, to: undefined })}
              aria-pressed={!live}
            >
              {live ? '❚❚ PAUSE' : '▶ GO LIVE'}
            </button>
            <button
              type="button"
              className="btn"
              disabled={rows.length === 0}
              onClick={() => {
                downloadText(csvFilename(), logsToCSV(rows));
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
        <select className="input" aria-label="Time range" value={range} onChange={(e) => url.set({ time: e.target.value, from: undefined, to: undefined })}>
          {(Object.keys(RANGES) as Range[]).map((k) => (
            <option key={k} value={k}>
              {RANGES[k].label}
            </option>
          ))}
        </select>
      </form>
      {error && <ErrorBox text={error} />}
      <Section
        title={`ATTACK VOLUME — ${win ? windowLabel(win.from, win.to) : RANGES[range].label}`}
        actions={peak && peak.count > 0 ? `PEAK ${peak.count} @ ${fmtTime(peak.time).slice(5, 16)} · ${fmtNum(histTotal)} IN ${win ? 'WINDOW' : 'RANGE'}` : undefined}
      >
        {win && (
          <div className="hist-window">
            <span className="chip violet">WINDOW {windowLabel(win.from, win.to)}</span>
            <button type="button" className="btn small ghost" onClick={() => url.set({ from: undefined, to: undefined })}>
              ✕ CLEAR WINDOW
            </button>
          </div>
        )}
        <div
          className="histogram"
          role="group"
          aria-label={`Histogram, ${bars.length} buckets, ${histTotal} events`}
          data-testid="histogram"
          onKeyDown={narrowable ? onHistKey : undefined}
        >
          {bars.map((b) => {
            const from = Math.floor(Date.parse(b.time) / step) * step;
            // A bar never reaches past the window it is drawn in.
            const to = win ? Math.min(win.to, from + step) : from + step;
            const label = `${windowLabel(from, to)}: ${fmtNum(b.count)} event${b.count === 1 ? '' : 's'}`;
            const height = { height: `${Math.max(2, (b.count / maxCount) * 100)}%` };
            return narrowable && Number.isFinite(from) ? (
              <button
                type="button"
                key={b.time}
                className="hist-bar"
                title={`${fmtTime(b.time)} · ${b.count}`}
                aria-label={`Narrow to ${label}`}
                tabIndex={b.time === tabBar ? 0 : -1}
                onFocus={() => setBarFocus(b.time)}
                style={height}
                onClick={() => url.set({ from: new Date(from).toISOString(), to: new Date(to).toISOString() })}
              />
            ) : (
              <span key={b.time} className="hist-bar" title={`${fmtTime(b.time)} · ${b.count}`} aria-label={label} role="img" style={height} />
            );
          })}
        </div>
      </Section>
      <Section title="LOG EXPLORER" actions={<Pager total={total} limit={PAGE} offset={offset} onOffset={(o) => url.set({ offset: String(o), live: o === 0 ? '1' : '0' })} />}>
        <LogTable
          rows={rows}
          loading={loading}
          empty={{ title: 'NO MATCHING EVENTS', hint: q || win ? 'try a wider time range or a shorter query' : 'waiting for the first decky hit' }}
        />
      </Section>
    </div>
  );
}

const rowKey = (r: LogEntry) => r.event_id || String(r.id);

/**
 * LogTable is the LOG EXPLORER table: the row columns, plus a toggle per
 * row (and a click anywhere on the row that is not a link) that opens the
 * raw log line and every field under it. One row is open at a time.
 */
function LogTable({ rows, loading, empty }: { rows: LogEntry[]; loading: boolean; empty: { title: string; hint?: string } }) {
  const [open, setOpen] = useState<string | null>(null);
  const baseId = useId();
  if (!loading && rows.length === 0) return <EmptyState title={empty.title} hint={empty.hint} />;
  const toggle = (k: string) => setOpen((cur) => (cur === k ? null : k));
  const onRowClick = (e: MouseEvent<HTMLTableRowElement>, k: string) => {
    // Links and buttons in the row do their own thing, and selecting text
    // to copy it is not a request to expand.
    if ((e.target as HTMLElement).closest('a, button')) return;
    if (window.getSelection()?.toString()) return;
    toggle(k);
  };
  return (
    <div className="table-wrap">
      <table className="data-table log-table" aria-busy={loading || undefined}>
        <caption className="sr-only">Log rows</caption>
        <thead>
          <tr>
            <th scope="col" className="row-toggle-col">
              <span className="sr-only">DETAILS</span>
            </th>
            {columns.map((c) => (
              <th key={c.key} scope="col" className={c.className}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => {
            const k = rowKey(row);
            const isOpen = open === k;
            const detailId = `${baseId}-${i}`;
            return (
              <Fragment key={k}>
                <tr className={`clickable${isOpen ? ' expanded' : ''}`} onClick={(e) => onRowClick(e, k)}>
                  <td className="row-toggle-col">
                    <button
                      type="button"
                      className="row-toggle"
                      aria-expanded={isOpen}
                      aria-controls={isOpen ? detailId : undefined}
                      aria-label={`Details of ${row.event_type || 'event'} at ${fmtTime(row.timestamp)}${row.attacker_ip ? ` from ${row.attacker_ip}` : ''}`}
                      onClick={() => toggle(k)}
                    >
                      {isOpen ? '▾' : '▸'}
                    </button>
                  </td>
                  {columns.map((c) => (
                    <td key={c.key} className={c.className}>
                      {c.render(row)}
                    </td>
                  ))}
                </tr>
                {isOpen && (
                  <tr className="log-detail-row">
                    <td colSpan={columns.length + 1} id={detailId}>
                      <LogDetail row={row} />
                    </td>
                  </tr>
                )}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** LogDetail is an expanded row: the raw line as the decky wrote it, then the envelope and every field. */
function LogDetail({ row }: { row: LogEntry }) {
  const toast = useToast();
  const fields = Object.entries(row.fields ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return (
    <div className="log-detail" data-testid="log-detail">
      <div className="log-detail-head">
        <span className="type-label">RAW LINE</span>
        {row.raw_line && (
          <button
            type="button"
            className="btn small ghost"
            onClick={() => {
              const line = row.raw_line ?? '';
              Promise.resolve()
                .then(() => navigator.clipboard.writeText(line))
                .then(() => toast.push('RAW LINE COPIED'))
                .catch(() => toast.push('CLIPBOARD BLOCKED', 'alert'));
            }}
          >
            ⧉ COPY
          </button>
        )}
      </div>
      <pre className="code-block" aria-label="Raw log line">
        {row.raw_line || '—'}
      </pre>
      <KV
        items={[
          ['EVENT ID', row.event_id || String(row.id)],
          ['TIMESTAMP', row.timestamp],
          ['DECKY', row.decky],
          ['SERVICE', row.service],
          ['EVENT TYPE', row.event_type],
          ['ATTACKER', row.attacker_ip || '—'],
          ...(row.session_id ? ([['SESSION', row.session_id]] as [string, string][]) : []),
          ...(row.msg ? ([['MSG', row.msg]] as [string, string][]) : []),
        ]}
      />
      <div className="type-label">FIELDS · {fields.length}</div>
      {fields.length === 0 ? (
        <div className="dim">No structured fields.</div>
      ) : (
        <dl className="evidence log-fields" aria-label="Event fields">
          {fields.map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
        </dl>
      )}
    </div>
  );
}
