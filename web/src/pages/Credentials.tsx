import { useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import { DataTable, Pager, type Column } from '../components/DataTable';
import { Drawer, KV } from '../components/Drawer';
import { ErrorBox } from '../components/EmptyState';
import { HashRow } from '../components/HashRow';
import { PageHeader, Section } from '../components/PageHeader';
import { api, errorText, type Page } from '../lib/api';
import { fmtNum, fmtTime } from '../lib/format';
import type { Credential, CredentialReuse, Decky } from '../lib/types';
import { intParam, useUrlState } from '../lib/urlState';

const PAGE = 50;
const REUSE_PAGE = 25;
export const MIN_TARGETS = ['2', '3', '4', '5', '10'];
type Tab = 'creds' | 'reuse';

function AttackerLink({ ip, uuid }: { ip: string; uuid?: string }) {
  return (
    <Link className="dotted" to={uuid ? `/attackers/${uuid}` : `/attackers?q=${encodeURIComponent(ip)}`} onClick={(e) => e.stopPropagation()} onKeyDown={(e) => e.stopPropagation()}>
      {ip}
    </Link>
  );
}

function Secret({ c }: { c: { secret_kind: string; secret_printable?: string; secret_sha256?: string } }) {
  return c.secret_kind === 'plaintext' && c.secret_printable ? (
    <span className="matrix">{c.secret_printable}</span>
  ) : (
    <span className="violet" title={c.secret_sha256}>
      {(c.secret_sha256 ?? '').slice(0, 16)}…
    </span>
  );
}

function Chips({ xs, max = 3 }: { xs: string[] | null | undefined; max?: number }) {
  const list = xs ?? [];
  return (
    <span className="chips">
      {list.slice(0, max).map((x) => (
        <span key={x} className="chip">
          {x}
        </span>
      ))}
      {list.length > max && <span className="dim">+{list.length - max}</span>}
    </span>
  );
}

/** CredentialInspector shows every field of one captured credential. */
export function CredentialInspector({ c, onClose }: { c: Credential | null; onClose: () => void }) {
  const fields = Object.entries(c?.fields ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return (
    <Drawer open={c !== null} onClose={onClose} title={c ? `CREDENTIAL #${c.id}` : ''} className="credentials-drawer">
      {c && (
        <>
          <KV
            items={[
              ['SECRET KIND', <span className={c.secret_kind === 'plaintext' ? 'matrix' : 'violet'}>{c.secret_kind.toUpperCase()}</span>],
              ['OUTCOME', c.outcome || '—'],
              ['DECKY', <span className="violet">{c.decky_name}</span>],
              ['SERVICE', c.service],
              ['PRINCIPAL', c.principal || '—'],
              ['ATTACKER', <AttackerLink ip={c.attacker_ip} uuid={c.attacker_uuid} />],
              ['ATTEMPTS', fmtNum(c.attempt_count)],
              ['FIRST SEEN', fmtTime(c.first_seen)],
              ['LAST SEEN', fmtTime(c.last_seen)],
            ]}
          />
          <div>
            <div className="type-label">SECRET</div>
            <pre className="code-block">
              <span className="ck">printable:</span> {c.secret_printable || '—'}
              {'\n'}
              <span className="ck">b64:</span> {c.secret_b64 || '—'}
            </pre>
          </div>
          <div>
            <div className="type-label">SECRET SHA-256</div>
            <HashRow hash={c.secret_sha256} />
          </div>
          {fields.length > 0 && (
            <div>
              <div className="type-label">FIELDS</div>
              <KV items={fields.map(([k, v]) => [k, v])} />
            </div>
          )}
        </>
      )}
    </Drawer>
  );
}

/** ReuseInspector shows one reuse finding: the real decky:service targets, attackers and the secret. */
export function ReuseInspector({ row, onClose }: { row: CredentialReuse | null; onClose: () => void }) {
  const [detail, setDetail] = useState<CredentialReuse | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    if (!row) return;
    let stale = false;
    setDetail(null);
    setError('');
    api<CredentialReuse>(`/credential-reuse/${encodeURIComponent(row.id)}`)
      .then((d) => !stale && setDetail(d))
      .catch((e: unknown) => !stale && setError(errorText(e)));
    return () => {
      stale = true;
    };
  }, [row]);
  // The list row shows at once; the fetched finding replaces it when it lands.
  const r = detail ?? row;
  return (
    <Drawer open={row !== null} onClose={onClose} title={row ? `REUSE #${row.id.slice(0, 8)}` : ''} className="credentials-drawer">
      {r && (
        <>
          {error && <ErrorBox text={`FAILED TO REFRESH FINDING: ${error}`} />}
          <KV
            items={[
              ['PRINCIPAL', r.principal || '—'],
              ['SECRET KIND', r.secret_kind.toUpperCase()],
              ['TARGETS', fmtNum(r.target_count)],
              ['ATTEMPTS', fmtNum(r.attempt_count)],
              ...(r.confidence !== undefined ? ([['CONFIDENCE', r.confidence.toFixed(2)]] as [string, string][]) : []),
              ['FIRST SEEN', fmtTime(r.first_seen)],
              ['LAST SEEN', fmtTime(r.last_seen)],
            ]}
          />
          <div>
            <div className="type-label">TARGETS · DECKY:SERVICE ({(r.targets ?? []).length})</div>
            <ul className="target-list" aria-label="Targets">
              {(r.targets ?? []).map((t) => (
                <li key={t}>{t}</li>
              ))}
            </ul>
          </div>
          <div>
            <div className="type-label">ATTACKERS</div>
            {(r.attacker_uuids ?? []).length > 0 ? (
              <ul className="target-list">
                {(r.attacker_uuids ?? []).map((u) => (
                  <li key={u}>
                    <Link to={`/attackers/${u}`}>{u.slice(0, 8)}</Link>
                  </li>
                ))}
              </ul>
            ) : (
              <div className="dim">PROFILING PENDING — credential captures precede attacker profiling.</div>
            )}
            {(r.attacker_ips ?? []).length > 0 && <div className="chips">{(r.attacker_ips ?? []).map((ip) => <AttackerLink key={ip} ip={ip} />)}</div>}
          </div>
          <div>
            <div className="type-label">{r.secret_kind === 'plaintext' ? 'PLAINTEXT SECRET' : 'OBSERVED RESPONSE'}</div>
            <pre className="code-block">
              <span className="ck">printable:</span> {r.secret_printable || '—'}
              {'\n'}
              <span className="ck">b64:</span> {r.secret_b64 || '—'}
            </pre>
          </div>
          {r.secret_sha256 && (
            <div>
              <div className="type-label">SECRET SHA-256</div>
              <HashRow hash={r.secret_sha256} />
            </div>
          )}
        </>
      )}
    </Drawer>
  );
}

function CredsTab({ url }: { url: ReturnType<typeof useUrlState> }) {
  const q = url.get('q');
  const service = url.get('service');
  const offset = intParam(url.get('offset'), 0, 0, 1e9);
  const [draft, setDraft] = useState(q);
  const [page, setPage] = useState<Page<Credential> | null>(null);
  const [services, setServices] = useState<string[]>([]);
  const [error, setError] = useState('');
  const [open, setOpen] = useState<Credential | null>(null);

  useEffect(() => setDraft(q), [q]);
  useEffect(() => {
    // The service filter offers what the fleet exposes (web.md §8.10).
    api<Decky[]>('/deckies')
      .then((ds) => setServices([...new Set(ds.flatMap((d) => d.services ?? []))].sort()))
      .catch(() => setServices([]));
  }, []);
  useEffect(() => {
    let stale = false;
    setError('');
    api<Page<Credential>>('/credentials', { query: { limit: PAGE, offset, search: q, service } })
      .then((p) => !stale && setPage(p))
      .catch((e: unknown) => !stale && setError(errorText(e)));
    return () => {
      stale = true;
    };
  }, [q, service, offset]);

  const columns: Column<Credential>[] = [
    { key: 'last', header: 'LAST SEEN', className: 'nowrap', render: (c) => fmtTime(c.last_seen) },
    { key: 'decky', header: 'DECKY', className: 'violet', render: (c) => c.decky_name },
    { key: 'svc', header: 'SVC', render: (c) => <span className="chip">{c.service}</span> },
    { key: 'attacker', header: 'ATTACKER', className: 'nowrap', render: (c) => <AttackerLink ip={c.attacker_ip} uuid={c.attacker_uuid} /> },
    { key: 'principal', header: 'PRINCIPAL', render: (c) => c.principal },
    { key: 'secret', header: 'SECRET', render: (c) => <Secret c={c} /> },
    { key: 'kind', header: 'KIND', render: (c) => <span className={c.secret_kind === 'plaintext' ? 'matrix' : 'violet'}>{c.secret_kind.toUpperCase()}</span> },
    { key: 'hits', header: 'HITS', className: 'num', render: (c) => fmtNum(c.attempt_count) },
  ];

  return (
    <>
      <form
        className="toolbar"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          url.set({ q: draft.trim() });
        }}
      >
        <input className="input grow" data-page-search aria-label="Search credentials" placeholder="Filter by IP, decky, principal, secret…" value={draft} onChange={(e) => setDraft(e.target.value)} />
        <button className="btn" type="submit">
          SEARCH
        </button>
        <select className="input" aria-label="Service" value={service} onChange={(e) => url.set({ service: e.target.value })}>
          <option value="">ALL SERVICES</option>
          {[...new Set([...services, ...(service ? [service] : [])])].map((s) => (
            <option key={s} value={s}>
              {s.toUpperCase()}
            </option>
          ))}
        </select>
      </form>
      {error && <ErrorBox text={`FAILED TO LOAD CREDENTIALS: ${error}`} />}
      <Section
        title={`${fmtNum(page?.total)} CREDENTIALS CAPTURED`}
        actions={page && <Pager total={page.total} limit={PAGE} offset={offset} onOffset={(o) => url.set({ offset: String(o) })} />}
      >
        <DataTable
          columns={columns}
          rows={page?.data ?? []}
          rowKey={(c) => String(c.id)}
          loading={page === null}
          caption="Credentials"
          onRowActivate={setOpen}
          rowLabel={(c) => `Inspect credential #${c.id}`}
          empty={q || service ? { title: 'NO MATCHING CREDENTIALS' } : { title: 'NO CREDENTIALS YET', hint: 'captured auth attempts will land here' }}
        />
      </Section>
      <CredentialInspector c={open} onClose={() => setOpen(null)} />
    </>
  );
}

function ReuseTab({ url }: { url: ReturnType<typeof useUrlState> }) {
  const min = MIN_TARGETS.includes(url.get('min_target_count')) ? url.get('min_target_count') : '2';
  const offset = intParam(url.get('offset'), 0, 0, 1e9);
  const [page, setPage] = useState<Page<CredentialReuse> | null>(null);
  const [error, setError] = useState('');
  const [open, setOpen] = useState<CredentialReuse | null>(null);

  useEffect(() => {
    let stale = false;
    setError('');
    api<Page<CredentialReuse>>('/credential-reuse', { query: { limit: REUSE_PAGE, offset, min_target_count: min } })
      .then((p) => !stale && setPage(p))
      .catch((e: unknown) => !stale && setError(errorText(e)));
    return () => {
      stale = true;
    };
  }, [min, offset]);

  const columns: Column<CredentialReuse>[] = [
    { key: 'last', header: 'LAST SEEN', className: 'nowrap', render: (r) => fmtTime(r.last_seen) },
    { key: 'principal', header: 'PRINCIPAL', render: (r) => r.principal || '—' },
    { key: 'kind', header: 'KIND', render: (r) => <span className={r.secret_kind === 'plaintext' ? 'matrix' : 'violet'}>{r.secret_kind.toUpperCase()}</span> },
    { key: 'targets', header: 'TARGETS', className: 'num violet', render: (r) => `×${fmtNum(r.target_count)}` },
    { key: 'attempts', header: 'ATTEMPTS', className: 'num', render: (r) => fmtNum(r.attempt_count) },
    { key: 'deckies', header: 'DECKIES', render: (r) => <Chips xs={r.deckies} /> },
    { key: 'services', header: 'SERVICES', render: (r) => <Chips xs={r.services} /> },
  ];

  return (
    <>
      <div className="toolbar">
        <label className="dim" htmlFor="min-targets">
          MIN TARGETS
        </label>
        <select id="min-targets" className="input" value={min} onChange={(e) => url.set({ min_target_count: e.target.value })}>
          {MIN_TARGETS.map((m) => (
            <option key={m} value={m}>
              ≥ {m}
            </option>
          ))}
        </select>
      </div>
      {error && <ErrorBox text={`FAILED TO LOAD REUSE FINDINGS: ${error}`} />}
      <Section
        title={`${fmtNum(page?.total)} REUSE FINDINGS`}
        actions={page && <Pager total={page.total} limit={REUSE_PAGE} offset={offset} onOffset={(o) => url.set({ offset: String(o) })} />}
      >
        <DataTable
          columns={columns}
          rows={page?.data ?? []}
          rowKey={(r) => r.id}
          loading={page === null}
          caption="Credential reuse"
          onRowActivate={setOpen}
          rowLabel={(r) => `Inspect reuse ${r.principal || r.id.slice(0, 8)} on ${r.target_count} targets`}
          empty={{ title: 'NO REUSE FINDINGS YET', hint: `a credential captured on ≥${min} targets will land here` }}
        />
      </Section>
      <ReuseInspector row={open} onClose={() => setOpen(null)} />
    </>
  );
}

export default function Credentials() {
  const url = useUrlState({ tab: 'creds', q: '', service: '', min_target_count: '2', offset: '0' });
  const tab: Tab = url.get('tab') === 'reuse' ? 'reuse' : 'creds';
  return (
    <div className="page">
      <PageHeader
        title="CREDENTIAL VAULT"
        sub={tab === 'creds' ? 'CAPTURED AUTH ATTEMPTS' : 'SECRETS SEEN ON SEVERAL TARGETS'}
        actions={
          <div className="seg-group" role="group" aria-label="View">
            {(['creds', 'reuse'] as Tab[]).map((t) => (
              <button
                key={t}
                type="button"
                className={`seg${t === tab ? ' active' : ''}`}
                aria-pressed={t === tab}
                // Each tab has its own filters: switching drops the other's.
                onClick={() => url.set({ tab: t, q: undefined, service: undefined, min_target_count: undefined })}
              >
                {t === 'creds' ? 'CREDS' : 'REUSE'}
              </button>
            ))}
          </div>
        }
      />
      {tab === 'creds' ? <CredsTab url={url} /> : <ReuseTab url={url} />}
    </div>
  );
}
