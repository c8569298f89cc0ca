import type { Column } from '../components/DataTable';
import { fmtNum } from '../lib/format';
import type { Campaign } from '../lib/types';
import { ClusterList, clusterColumns, len } from './Identities';

/** CAMPAIGN_EVENTS are the campaign-stream notifications that change the list. */
export const CAMPAIGN_EVENTS = ['formed', 'identity.assigned', 'merged', 'unmerged'] as const;

export const fingerprintCount = (c: Campaign) => len(c.ja3_hashes) + len(c.hassh_hashes) + len(c.tls_cert_sha256);
export const infraCount = (c: Campaign) => len(c.payload_simhashes) + len(c.c2_endpoints);

const columns: Column<Campaign>[] = [
  ...clusterColumns<Campaign>(),
  { key: 'fp', header: 'FINGERPRINTS', className: 'num', render: (c) => fmtNum(fingerprintCount(c)) },
  { key: 'infra', header: 'INFRA', className: 'num', render: (c) => fmtNum(infraCount(c)) },
  { key: 'ids', header: 'IDENTITIES', className: 'num violet', render: (c) => fmtNum(c.identity_count) },
  { key: 'conf', header: 'CONFIDENCE', className: 'num violet', render: (c) => (c.confidence !== undefined ? c.confidence.toFixed(2) : '—') },
];

export default function Campaigns() {
  return (
    <ClusterList<Campaign>
      noun="campaign"
      plural="campaigns"
      title="CAMPAIGN CLUSTERING"
      loadingSub="CLUSTERING IDENTITIES…"
      events={CAMPAIGN_EVENTS}
      columns={columns}
      empty={{ title: 'NO CAMPAIGNS YET', hint: 'identities linked by hand-offs, payloads or C2 are grouped here' }}
    />
  );
}
