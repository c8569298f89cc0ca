import { Link } from 'react-router-dom';
import type { Column } from '../components/DataTable';
import { Drawer, KV } from '../components/Drawer';
import { ListSection, SearchToolbar, Segments } from '../components/ListPage';
import { PageHeader } from '../components/PageHeader';
import { fmtNum, fmtTime } from '../lib/format';
import type { Bounty as BountyRow } from '../lib/types';
import { useListPage } from '../lib/useListPage';

const PAGE = 50;
/** TYPES are the server's bounty_type values (model.Bounty*), in segment order. */
export const TYPES = { '': 'ALL', fingerprint: 'FINGERPRINTS', ip_leak: 'IP LEAKS', artifact: 'ARTIFACTS' } as const;
type BountyType = keyof typeof TYPES;
const typeOf = (v: string): BountyType => (v in TYPES ? (v as BountyType) : '');

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
  const list = useListPage<BountyRow>({
    path: '/bounty',
    limit: PAGE,
    defaults: { q: '', type: '' },
    query: (url) => ({ search: url.get('q'), bounty_type: typeOf(url.get('type')) }),
  });
  const q = list.get('q');
  const type = typeOf(list.get('type'));
  const { page } = list;

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
      <SearchToolbar value={q} onSearch={(v) => list.set({ q: v })} label="Search bounties" placeholder="Search decky, attacker, payload…">
        <Segments label="Type" options={TYPES} value={type} onChange={(t) => list.set({ type: t })} />
      </SearchToolbar>
      <ListSection
        list={list}
        title={`${fmtNum(page?.total)} ITEMS CAPTURED`}
        errorPrefix="FAILED TO LOAD BOUNTIES"
        columns={columns}
        rowKey={(b) => String(b.id)}
        caption="Bounties"
        onRowActivate={list.select}
        rowLabel={(b) => `Inspect bounty #${b.id}`}
        empty={q || type ? { title: 'NO MATCHING BOUNTIES' } : { title: 'NO BOUNTIES YET', hint: 'fingerprints, IP leaks and artifacts land here' }}
      />
      <BountyInspector b={list.selected} onClose={() => list.select(null)} />
    </div>
  );
}
