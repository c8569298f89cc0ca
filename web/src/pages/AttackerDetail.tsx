import { useCallback, useEffect, useRef, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { DataTable, Pager, type Column } from '../components/DataTable';
import { EmptyState, ErrorBox } from '../components/EmptyState';
import { ExportButtons } from '../components/ExportButtons';
import { PageHeader, Section } from '../components/PageHeader';
import { SessionReplay, type ReplayTarget } from '../components/SessionReplay';
import { useToast } from '../components/Toast';
import { TTPsObservedSection } from '../components/ttp/TTPsObservedSection';
import { ApiError, api, apiBlob, errorText, type Page } from '../lib/api';
import { saveBlob } from '../lib/download';
import { fmtNum, fmtTime } from '../lib/format';
import { useRole } from '../lib/role';
import type { AttackerDetail as Detail, Command, Credential, Fingerprint, LogEntry } from '../lib/types';
import { intParam, useUrlState } from '../lib/urlState';
import { useStream } from '../lib/useStream';

const CMD_PAGE = 50;
const CRED_PAGE = 25;
/** RELOAD_MS coalesces bursts of live notifications into one refetch. */
const RELOAD_MS = 1500;

const PATTERN_CLASS: Record<string, string> = {
  beaconing: 'alert',
  interactive: 'violet',
  scanning: 'amber',
  brute_force: 'amber',
  slow_scan: 'amber',
};

const commandColumns: Column<Command>[] = [
  { key: 'ts', header: 'TIMESTAMP', className: 'nowrap', render: (c) => fmtTime(c.timestamp) },
  { key: 'svc', header: 'SERVICE', render: (c) => <span className="chip">{c.service}</span> },
  { key: 'decky', header: 'DECKY', className: 'violet', render: (c) => c.decky },
  { key: 'cmd', header: 'COMMAND', className: 'matrix mono-wrap', render: (c) => c.command },
];

const credColumns: Column<Credential>[] = [
  { key: 'last', header: 'LAST SEEN', className: 'nowrap', render: (c) => fmtTime(c.last_seen) },
  { key: 'decky', header: 'DECKY', className: 'violet', render: (c) => c.decky_name },
  { key: 'svc', header: 'SVC', render: (c) => <span className="chip">{c.service}</span> },
  { key: 'principal', header: 'PRINCIPAL', render: (c) => c.principal },
  {
    key: 'secret',
    header: 'SECRET',
    render: (c) =>
      c.secret_kind === 'plaintext' && c.secret_printable ? (
        <span className="matrix">{c.secret_printable}</span>
      ) : (
        <span className="violet" title={c.secret_sha256}>
          {c.secret_sha256.slice(0, 16)}…
        </span>
      ),
  },
  { key: 'kind', header: 'KIND', render: (c) => <span className={c.secret_kind === 'plaintext' ? 'matrix' : 'violet'}>{c.secret_kind.toUpperCase()}</span> },
  { key: 'outcome', header: 'OUTCOME', render: (c) => c.outcome },
  { key: 'hits', header: 'HITS', className: 'num', render: (c) => fmtNum(c.attempt_count) },
];

/** LogRows is GET /attackers/{uuid}/transcripts and /artifacts: the attacker's session_recorded or file_captured events. */
interface LogRows {
  total: number;
  data: LogEntry[];
}

const field = (r: LogEntry, k: string) => r.fields?.[k] ?? '';
const sessionId = (r: LogEntry) => field(r, 'sid') || r.session_id || '';

function fmtBytes(v: string | number): string {
  const n = Number(v);
  if (!Number.isFinite(n) || v === '') return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function fmtDuration(v: string): string {
  const s = Number(v);
  if (v === '' || !Number.isFinite(s)) return '—';
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m ${Math.round(s % 60)}s` : `${Math.floor(m / 60)}h ${m % 60}m`;
}

/** sessionStart is the session_recorded timestamp (emitted at the end) minus the duration. */
function sessionStart(r: LogEntry): string {
  const end = Date.parse(r.timestamp);
  const d = Number(field(r, 'duration_s'));
  return Number.isFinite(end) && Number.isFinite(d) ? new Date(end - d * 1000).toISOString() : r.timestamp;
}

const ARTIFACT_ERRORS: Record<number, string> = {
  400: 'Server rejected the request (bad decky or file name).',
  403: 'Admin role required to download captured files.',
  404: 'Artifact not found on disk (may have been purged).',
};

function useLogRows(path: string, reload: number): LogRows | null {
  const [rows, setRows] = useState<LogRows | null>(null);
  useEffect(() => {
    let stale = false;
    api<LogRows>(path)
      .then((p) => !stale && setRows(p))
      .catch(() => !stale && setRows({ data: [], total: 0 }));
    return () => {
      stale = true;
    };
  }, [path, reload]);
  return rows;
}

function Stat({ label, value }: { label: string; value: number }) {
  return (
    <div className="stat-card">
      <div className="stat-label">{label}</div>
      <div className="stat-value">{fmtNum(value)}</div>
    </div>
  );
}

export default function AttackerDetail() {
  const { uuid = '' } = useParams();
  const url = useUrlState({ cmd_offset: '0', cred_offset: '0', service: '' });
  const cmdOffset = intParam(url.get('cmd_offset'), 0, 0, 1e9);
  const credOffset = intParam(url.get('cred_offset'), 0, 0, 1e9);
  const service = url.get('service');
  const [a, setA] = useState<Detail | null>(null);
  const [error, setError] = useState('');
  const [cmds, setCmds] = useState<Page<Command> | null>(null);
  const [creds, setCreds] = useState<Page<Credential> | null>(null);
  const [reload, setReload] = useState(0);
  const pending = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const isAdmin = useRole() === 'admin';
  const toast = useToast();
  const transcripts = useLogRows(`/attackers/${encodeURIComponent(uuid)}/transcripts`, reload);
  const artifacts = useLogRows(`/attackers/${encodeURIComponent(uuid)}/artifacts`, reload);
  const [replay, setReplay] = useState<ReplayTarget | null>(null);

  const downloadArtifact = async (r: LogEntry) => {
    const stored = field(r, 'stored_as');
    try {
      const blob = await apiBlob(`/artifacts/${encodeURIComponent(r.decky)}/${encodeURIComponent(stored)}`, { query: { service: r.service } });
      saveBlob(stored, blob);
    } catch (e) {
      toast.push(e instanceof ApiError && ARTIFACT_ERRORS[e.status] ? ARTIFACT_ERRORS[e.status]! : `DOWNLOAD FAILED: ${errorText(e)}`, 'alert');
    }
  };

  useEffect(() => {
    let stale = false;
    api<Detail>(`/attackers/${encodeURIComponent(uuid)}`)
      .then((d) => !stale && setA(d))
      .catch((e: unknown) => !stale && setError(e instanceof ApiError && e.status === 404 ? 'ATTACKER NOT FOUND' : `FAILED TO LOAD ATTACKER PROFILE: ${errorText(e)}`));
    return () => {
      stale = true;
    };
  }, [uuid, reload]);

  useEffect(() => {
    let stale = false;
    api<Page<Command>>(`/attackers/${encodeURIComponent(uuid)}/commands`, { query: { limit: CMD_PAGE, offset: cmdOffset, service } })
      .then((p) => !stale && setCmds(p))
      .catch(() => !stale && setCmds({ data: [], total: 0, limit: CMD_PAGE, offset: 0 }));
    return () => {
      stale = true;
    };
  }, [uuid, cmdOffset, service, reload]);

  useEffect(() => {
    let stale = false;
    api<Page<Credential>>(`/attackers/${encodeURIComponent(uuid)}/credentials`, { query: { limit: CRED_PAGE, offset: credOffset } })
      .then((p) => !stale && setCreds(p))
      .catch(() => !stale && setCreds({ data: [], total: 0, limit: CRED_PAGE, offset: 0 }));
    return () => {
      stale = true;
    };
  }, [uuid, credOffset, reload]);

  // Any notification about this attacker (new events scored, credentials,
  // TTP tags) refreshes the page, coalesced so a burst is one refetch.
  const bump = useCallback(() => {
    clearTimeout(pending.current);
    pending.current = setTimeout(() => setReload((n) => n + 1), RELOAD_MS);
  }, []);
  useEffect(() => () => clearTimeout(pending.current), []);
  useStream({
    path: `/attackers/${encodeURIComponent(uuid)}/events`,
    enabled: a !== null,
    events: { 'attacker.scored': bump, 'credential.captured': bump, 'ttp.tagged': bump, 'attacker.session.ended': bump },
  });

  if (error)
    return (
      <div className="page">
        <Link to="/attackers" className="btn ghost">
          ← BACK TO PROFILES
        </Link>
        <ErrorBox text={error} />
      </div>
    );
  if (!a) return <div className="loading">LOADING THREAT PROFILE…</div>;

  const interacted = a.service_activity?.interacted ?? a.behavior?.interacted_services ?? [];
  const scanned = a.service_activity?.scanned ?? a.behavior?.scanned_services ?? [];
  const allServices = [...new Set([...(a.services ?? []), ...interacted, ...scanned])].sort();
  const fps: Fingerprint[] = (a.fingerprints ?? []).filter((f) => !service || !f.service || f.service === service);
  const b = a.behavior;
  return (
    <div className="page attacker-detail">
      <Link to="/attackers" className="btn ghost small back">
        ← BACK TO PROFILES
      </Link>
      <PageHeader
        title={a.ip}
        sub={
          <>
            {a.country_code && <span className="chip">{a.country_code}</span>} {a.is_traversal && <span className="chip violet">TRAVERSAL</span>}{' '}
            {a.identity_id && <span className="chip violet">IDENTITY · {a.identity_id.slice(0, 8)}</span>} FIRST {fmtTime(a.first_seen)} · LAST {fmtTime(a.last_seen)}
          </>
        }
        actions={<ExportButtons base={`/attackers/${encodeURIComponent(uuid)}`} filePrefix={`decnet-attacker-${uuid.slice(0, 8)}`} noun="attacker" />}
      />
      <div className="stat-grid five">
        <Stat label="EVENTS" value={a.event_count} />
        <Stat label="BOUNTIES" value={a.bounty_count} />
        <Stat label="CREDENTIALS" value={a.credential_count} />
        <Stat label="SERVICES" value={a.service_count} />
        <Stat label="DECKIES" value={a.decky_count} />
      </div>

      <TTPsObservedSection scope="attacker" uuid={a.uuid} reload={reload} />

      <Section title="TIMELINE">
        <dl className="kvs">
          {(
            [
              ['FIRST SEEN', fmtTime(a.first_seen)],
              ['LAST SEEN', fmtTime(a.last_seen)],
              ['ORIGIN', a.country_code || '—'],
              ['AS', a.asn ? `AS${a.asn} ${a.as_name ?? ''} ${a.bgp_prefix ?? ''}` : '—'],
              ['LEAKED IPs', a.ip_leaks_total ? String(a.ip_leaks_total) : '—'],
            ] as [string, string][]
          ).map(([k, v]) => (
            <div className="kv" key={k}>
              <dt className="k">{k}</dt>
              <dd className="v">{v}</dd>
            </div>
          ))}
        </dl>
      </Section>

      <Section title="SERVICES TARGETED" actions={service && <button type="button" className="btn small ghost" onClick={() => url.set({ service: '' })}>SVC {service.toUpperCase()} ✕</button>}>
        {allServices.length === 0 ? (
          <EmptyState compact title="NO SERVICES YET" />
        ) : (
          <div className="chips">
            {allServices.map((s) => {
              const inter = interacted.includes(s);
              return (
                <button
                  key={s}
                  type="button"
                  className={`chip${inter ? ' violet' : ' scan-only'}${s === service ? ' selected' : ''}`}
                  aria-pressed={s === service}
                  title={inter ? 'interacted' : 'scan only'}
                  onClick={() => url.set({ service: s === service ? '' : s })}
                >
                  {inter ? '· ' : ''}
                  {s}
                </button>
              );
            })}
            <span className="dim legend">· INTERACTED / SCAN-ONLY — click filters commands and fingerprints</span>
          </div>
        )}
        <div className="decky-path">
          {a.is_traversal && a.traversal_path ? (
            <>
              TRAVERSAL PATH: <span className="violet">{a.traversal_path}</span>
            </>
          ) : (
            (a.deckies ?? []).map((d) => (
              <span key={d} className="chip violet">
                {d}
              </span>
            ))
          )}
        </div>
      </Section>

      <Section title="BEHAVIORAL PROFILE">
        {!b ? (
          <EmptyState compact title="NO BEHAVIORAL DATA YET" hint="profiler has not run for this attacker" />
        ) : (
          <>
            <div className="stat-grid">
              <div className="stat-card">
                <div className="stat-label">OS GUESS</div>
                <div className="stat-value small">{b.os_guess || 'UNKNOWN'}</div>
              </div>
              <div className="stat-card">
                <div className="stat-label">ATTACK PATTERN</div>
                <div className={`stat-value small ${PATTERN_CLASS[b.behavior_class ?? ''] ?? ''}`}>{(b.behavior_class || 'unknown').toUpperCase()}</div>
              </div>
              <div className="stat-card">
                <div className="stat-label">BEACON CADENCE</div>
                <div className="stat-value small">
                  {b.beacon_interval_s ? `${b.beacon_interval_s.toFixed(1)}s ±${(b.beacon_jitter_pct ?? 0).toFixed(0)}%` : '—'}
                </div>
              </div>
            </div>
            {(b.tool_guesses ?? []).length > 0 && (
              <div className="detected-tools">
                DETECTED TOOLS:{' '}
                {(b.tool_guesses ?? []).map((t) => (
                  <span key={t} className="chip alert-chip">
                    {t}
                  </span>
                ))}
              </div>
            )}
            {b.timing_stats && Object.keys(b.timing_stats).length > 0 && (
              <dl className="kvs">
                {Object.entries(b.timing_stats).map(([k, v]) => (
                  <div className="kv" key={k}>
                    <dt className="k">{k.replace(/_/g, ' ').toUpperCase()}</dt>
                    <dd className="v">{typeof v === 'number' ? (Number.isInteger(v) ? v : v.toFixed(2)) : JSON.stringify(v)}</dd>
                  </div>
                ))}
              </dl>
            )}
          </>
        )}
      </Section>

      <Section
        title={`COMMANDS (${fmtNum(cmds?.total)}${service ? ` ${service.toUpperCase()}` : ''})`}
        actions={cmds && cmds.total > CMD_PAGE && <Pager total={cmds.total} limit={CMD_PAGE} offset={cmdOffset} onOffset={(o) => url.set({ cmd_offset: String(o) })} />}
      >
        <DataTable columns={commandColumns} rows={cmds?.data ?? []} rowKey={(c) => `${c.timestamp}|${c.decky}|${c.command}`} loading={cmds === null} caption="Commands" empty={{ title: 'NO COMMANDS CAPTURED' }} />
      </Section>

      <Section
        title={`CREDENTIALS (${fmtNum(creds?.total)})`}
        actions={creds && creds.total > CRED_PAGE && <Pager total={creds.total} limit={CRED_PAGE} offset={credOffset} onOffset={(o) => url.set({ cred_offset: String(o) })} />}
      >
        <DataTable columns={credColumns} rows={creds?.data ?? []} rowKey={(c) => String(c.id)} loading={creds === null} caption="Credentials" empty={{ title: 'NO CREDENTIALS YET' }} />
      </Section>

      <Section title={`FINGERPRINTS (${fps.length}${service ? `/${(a.fingerprints ?? []).length}` : ''})`}>
        {fps.length === 0 ? (
          <EmptyState compact title="NO FINGERPRINTS" />
        ) : (
          <dl className="kvs fingerprints">
            {fps.map((f, i) => (
              <div className="kv" key={`${f.type}-${i}`}>
                <dt className="k">
                  {f.type.replace(/_/g, ' ').toUpperCase()}
                  {f.service ? ` · ${f.service}` : ''}
                </dt>
                <dd className="v mono-wrap">{f.value}</dd>
              </div>
            ))}
          </dl>
        )}
      </Section>
      <Section title={`CAPTURED ARTIFACTS (${fmtNum(artifacts?.total)})`}>
        {isAdmin && (artifacts?.data.length ?? 0) > 0 && <div className="amber replay-note">Attacker-controlled content. Download at your own risk.</div>}
        <DataTable
          columns={[
            { key: 'ts', header: 'TIMESTAMP', className: 'nowrap', render: (r) => fmtTime(r.timestamp) },
            { key: 'decky', header: 'DECKY', className: 'violet', render: (r) => r.decky },
            { key: 'svc', header: 'SERVICE', render: (r) => <span className="chip">{r.service}</span> },
            { key: 'name', header: 'FILENAME', className: 'mono-wrap', render: (r) => field(r, 'orig_path') || field(r, 'stored_as') },
            { key: 'size', header: 'SIZE', className: 'num nowrap', render: (r) => fmtBytes(field(r, 'size')) },
            {
              key: 'sha',
              header: 'SHA-256',
              render: (r) => (
                <span className="mono" title={field(r, 'sha256')}>
                  {field(r, 'sha256').slice(0, 12)}…
                </span>
              ),
            },
            ...(isAdmin
              ? [
                  {
                    key: 'dl',
                    header: '',
                    render: (r: LogEntry) =>
                      field(r, 'stored_as') ? (
                        <button type="button" className="btn small amber" aria-label={`Download ${field(r, 'orig_path') || field(r, 'stored_as')}`} onClick={() => void downloadArtifact(r)}>
                          DOWNLOAD
                        </button>
                      ) : null,
                  },
                ]
              : []),
          ]}
          rows={artifacts?.data ?? []}
          rowKey={(r) => String(r.id)}
          loading={artifacts === null}
          caption="Captured artifacts"
          empty={{ title: 'NO ARTIFACTS CAPTURED' }}
        />
      </Section>

      <Section title={`SESSION TRANSCRIPTS (${fmtNum(transcripts?.total)})`} actions={!isAdmin && <span className="dim">REPLAY NEEDS THE ADMIN ROLE</span>}>
        <DataTable
          columns={[
            { key: 'start', header: 'START', className: 'nowrap', render: (r) => fmtTime(sessionStart(r)) },
            { key: 'decky', header: 'DECKY', className: 'violet', render: (r) => r.decky },
            { key: 'svc', header: 'SERVICE', render: (r) => <span className="chip">{field(r, 'service') || r.service}</span> },
            { key: 'sid', header: 'SESSION', className: 'mono', render: (r) => sessionId(r) },
            { key: 'user', header: 'USER', render: (r) => field(r, 'user') || '—' },
            { key: 'dur', header: 'DURATION', className: 'num nowrap', render: (r) => fmtDuration(field(r, 'duration_s')) },
            { key: 'bytes', header: 'BYTES', className: 'num nowrap', render: (r) => fmtBytes(field(r, 'bytes')) },
            ...(isAdmin
              ? [
                  {
                    key: 'replay',
                    header: '',
                    render: (r: LogEntry) =>
                      sessionId(r) && field(r, 'transcript') !== '' ? (
                        <button
                          type="button"
                          className="btn small info"
                          aria-label={`Replay session ${sessionId(r)}`}
                          onClick={() => setReplay({ decky: r.decky, sid: sessionId(r), service: field(r, 'service') || r.service })}
                        >
                          REPLAY
                        </button>
                      ) : null,
                  },
                ]
              : []),
          ]}
          rows={transcripts?.data ?? []}
          rowKey={(r) => String(r.id)}
          loading={transcripts === null}
          caption="Session transcripts"
          empty={{ title: 'NO RECORDED SESSIONS' }}
        />
      </Section>
      <SessionReplay target={replay} onClose={() => setReplay(null)} />
      <div className="uuid-foot">UUID: {a.uuid}</div>
    </div>
  );
}
