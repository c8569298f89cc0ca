import { useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import { DataTable, Pager, type Column } from '../components/DataTable';
import { Drawer, KV } from '../components/Drawer';
import { ErrorBox } from '../components/EmptyState';
import { PageHeader, Section } from '../components/PageHeader';
import { api, errorText, type Page } from '../lib/api';
import { fmtNum, fmtTime } from '../lib/format';
import type { Bounty as BountyRow } from '../lib/types';
import { intParam, useUrlState } from '../lib/urlState';

const PAGE = 50;
/** TYPES are the server's bounty_type values (model.Bounty*), in segment order. */
export const TYPES = { '': 'ALL', fingerprint: 'FINGERPRINTS', ip_leak: 'IP LEAKS', artifact: 'ARTIFACTS' } as const;
type BountyType = keyof typeof TYPES;

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : v === undefined || v === null ? '' : JSON.stringify(v));

// Payload keys worth a glance in the table, in preference order.
const SUMMARY_KEYS = ['fingerprint_type', 'ja3', 'ja4', 'hassh', 'hash', 'sni', 'ssh_banner', 'leaked_ip', 'ip', 'target_ip', 'orig_path', 'stored_as', 'subject', 'sha256', 'size'];

/** summarize is the DATA cell: the first two telling payload fields, labelled. */
export function summarize(p: Record<string, unknown> | null): string {
  const entries = Object.entries(p ?? {}).filter(([, v]) => v !== '' && v !== null && v !== undefined);
  const picked = SUMMARY_KEYS.flatMap((k) => entries.filter(([e]) => e === k));
  const shown = (picked.length > 0 ? picked : entries).slice(0, 2);
  return shown.map(([k, v]) => `${k}: ${str(v)}`).join(' · ');
}

export function BountyInspector({ b, onClose }: { b: BountyRow | null; onClose: () => void }) {
  return (
    <Drawer open={b !== null} onClose={onClose} title={b ? `${b.bounty_type.toUpperCase().replace('_', ' ')} #${b.id}` : ''} className="bounty-drawer">
      {b && (
        <>
          <KV
            items={[
              ['TYPE', <span className="chip violet">{b.bounty_type}</span>],
              ['TIMESTAMP', fmtTime(b.timestamp)],
              ['DECKY', <span className="violet">{b.decky}</span>],
              ['SERVICE', b.service],
              ['ATTACKER', <Link to={`/attackers?q=${encodeURIComponent(b.attacker_ip)}`}>{b.attacker_ip}</Link>],
            ]}
          />
          <div>
            <div className="type-label">PAYLOAD</div>
            <pre className="code-block" data-testid="bounty-payload">
              {JSON.stringify(b.payload ?? {}, null, 2)}
            </pre>
          </div>
        </>
      )}
    </Drawer>
  );
}

export default function Bounty() {
  const url = useUrlState({ q: '', type: '', offset: '0' });
  const q = url.get('q');
  const type: BountyType = url.get('type') in TYPES ? (url.get('type') as BountyType) : '';
  const offset = intParam(url.get('offset'), 0, 0, 1e9);
  const [draft, setDraft] = useState(q);
  const [page, setPage] = useState<Page<BountyRow> | null>(null);
  const [error, setError] = useState('');
  const [open, setOpen] = useState<BountyRow | null>(null);

  useEffect(() => setDraft(q), [q]);
  useEffect(() => {
    let stale = false;
    setError('');
    api<Page<BountyRow>>('/bounty', { query: { limit: PAGE, offset, search: q, bounty_type: type } })
      .then((p) => !stale && setPage(p))
      .catch((e: unknown) => !stale && setError(errorText(e)));
    return () => {
      stale = true;
    };
  }, [q, type, offset]);

  const columns: Column<BountyRow>[] = [
    { key: 'ts', header: 'TIME', className: 'nowrap', render: (b) => fmtTime(b.timestamp) },
    { key: 'decky', header: 'DECKY', className: 'violet', render: (b) => b.decky },
    { key: 'svc', header: 'SVC', render: (b) => <span className="chip">{b.service}</span> },
    {
      key: 'attacker',
      header: 'ATTACKER',
      className: 'nowrap',
      render: (b) => (
        <Link className="dotted" to={`/attackers?q=${encodeURIComponent(b.attacker_ip)}`} onClick={(e) => e.stopPropagation()} onKeyDown={(e) => e.stopPropagation()}>
          {b.attacker_ip}
        </Link>
      ),
    },
    { key: 'type', header: 'TYPE', render: (b) => <span className="chip violet">{b.bounty_type.toUpperCase().replace('_', ' ')}</span> },
    { key: 'data', header: 'DATA', className: 'mono-wrap', render: (b) => summarize(b.payload) },
  ];

  return (
    <div className="page">
      <PageHeader title="BOUNTY VAULT" sub={page ? `${fmtNum(page.total)} BOUNTIES${type ? ` · ${TYPES[type]}` : ''}` : 'LOADING LOOT…'} />
      <form
        className="toolbar"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          url.set({ q: draft.trim() });
        }}
      >
        <input className="input grow" data-page-search aria-label="Search bounties" placeholder="Search decky, attacker, payload…" value={draft} onChange={(e) => setDraft(e.target.value)} />
        <button className="btn" type="submit">
          SEARCH
        </button>
        <div className="seg-group" role="group" aria-label="Type">
          {(Object.keys(TYPES) as BountyType[]).map((t) => (
            <button key={t || 'all'} type="button" className={`seg${t === type ? ' active' : ''}`} aria-pressed={t === type} onClick={() => url.set({ type: t })}>
              {TYPES[t]}
            </button>
          ))}
        </div>
      </form>
      {error && <ErrorBox text={`FAILED TO LOAD BOUNTIES: ${error}`} />}
      <Section
        title={`${fmtNum(page?.total)} ITEMS CAPTURED`}
        actions={page && <Pager total={page.total} limit={PAGE} offset={offset} onOffset={(o) => url.set({ offset: String(o) })} />}
      >
        <DataTable
          columns={columns}
          rows={page?.data ?? []}
          rowKey={(b) => String(b.id)}
          loading={page === null}
          caption="Bounties"
          onRowActivate={setOpen}
          rowLabel={(b) => `Inspect bounty #${b.id}`}
          empty={q || type ? { title: 'NO MATCHING BOUNTIES' } : { title: 'NO BOUNTIES YET', hint: 'fingerprints, IP leaks and artifacts land here' }}
        />
      </Section>
      <BountyInspector b={open} onClose={() => setOpen(null)} />
    </div>
  );
}
