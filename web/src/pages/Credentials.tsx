import { useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import type { Column } from '../components/DataTable';
import { Drawer, KV } from '../components/Drawer';
import { ErrorBox } from '../components/EmptyState';
import { HashRow } from '../components/HashRow';
import { ListSection, SearchToolbar, Segments, ServiceSelect } from '../components/ListPage';
import { PageHeader } from '../components/PageHeader';
import { api, errorText } from '../lib/api';
import { fmtNum, fmtTime } from '../lib/format';
import type { Credential, CredentialReuse } from '../lib/types';
import { useFleetServices, useListPage } from '../lib/useListPage';
import { useUrlState } from '../lib/urlState';

const PAGE = 50;
const REUSE_PAGE = 25;
export const MIN_TARGETS = ['2', '3', '4', '5', '10'];
const TABS = { creds: 'CREDS', reuse: 'REUSE' } as const;
type Tab = keyof typeof TABS;

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

function CredsTab() {
  const services = useFleetServices();
  const list = useListPage<Credential>({
    path: '/credentials',
    limit: PAGE,
    defaults: { q: '', service: '' },
    query: (url) => ({ search: url.get('q'), service: url.get('service') }),
  });
  const q = list.get('q');
  const service = list.get('service');

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
      <SearchToolbar value={q} onSearch={(v) => list.set({ q: v })} label="Search credentials" placeholder="Filter by IP, decky, principal, secret…">
        <ServiceSelect services={services} value={service} onChange={(s) => list.set({ service: s })} />
      </SearchToolbar>
      <ListSection
        list={list}
        title={`${fmtNum(list.page?.total)} CREDENTIALS CAPTURED`}
        errorPrefix="FAILED TO LOAD CREDENTIALS"
        columns={columns}
        rowKey={(c) => String(c.id)}
        caption="Credentials"
        onRowActivate={list.select}
        rowLabel={(c) => `Inspect credential #${c.id}`}
        empty={q || service ? { title: 'NO MATCHING CREDENTIALS' } : { title: 'NO CREDENTIALS YET', hint: 'captured auth attempts will land here' }}
      />
      <CredentialInspector c={list.selected} onClose={() => list.select(null)} />
    </>
  );
}

const minOf = (v: string): string => (MIN_TARGETS.includes(v) ? v : '2');

function ReuseTab() {
  const list = useListPage<CredentialReuse>({
    path: '/credential-reuse',
    limit: REUSE_PAGE,
    defaults: { min_target_count: '2' },
    query: (url) => ({ min_target_count: minOf(url.get('min_target_count')) }),
  });
  const min = minOf(list.get('min_target_count'));

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
        <select id="min-targets" className="input" value={min} onChange={(e) => list.set({ min_target_count: e.target.value })}>
          {MIN_TARGETS.map((m) => (
            <option key={m} value={m}>
              ≥ {m}
            </option>
          ))}
        </select>
      </div>
      <ListSection
        list={list}
        title={`${fmtNum(list.page?.total)} REUSE FINDINGS`}
        errorPrefix="FAILED TO LOAD REUSE FINDINGS"
        columns={columns}
        rowKey={(r) => r.id}
        caption="Credential reuse"
        onRowActivate={list.select}
        rowLabel={(r) => `Inspect reuse ${r.principal || r.id.slice(0, 8)} on ${r.target_count} targets`}
        empty={{ title: 'NO REUSE FINDINGS YET', hint: `a credential captured on ≥${min} targets will land here` }}
      />
      <ReuseInspector row={list.selected} onClose={() => list.select(null)} />
    </>
  );
}

export default function Credentials() {
  const url = useUrlState({ tab: 'creds' });
  const tab: Tab = url.get('tab') === 'reuse' ? 'reuse' : 'creds';
  return (
    <div className="page">
      <PageHeader
        title="CREDENTIAL VAULT"
        sub={tab === 'creds' ? 'CAPTURED AUTH ATTEMPTS' : 'SECRETS SEEN ON SEVERAL TARGETS'}
        actions={
          <Segments
            label="View"
            options={TABS}
            value={tab}
            // Each tab has its own filters: switching drops the other's.
            onChange={(t) => url.set({ tab: t, q: undefined, service: undefined, min_target_count: undefined })}
          />
        }
      />
      {tab === 'creds' ? <CredsTab /> : <ReuseTab />}
    </div>
  );
}
