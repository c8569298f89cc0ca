import { EmptyState } from './EmptyState';

/** FingerprintGroups lists labelled groups of fingerprint values as dim chips; empty groups are left out. */
export function FingerprintGroups({ groups }: { groups: [string, string[] | null | undefined][] }) {
  const shown = groups.filter(([, xs]) => (xs?.length ?? 0) > 0);
  if (shown.length === 0) return <EmptyState compact title="NO FINGERPRINTS" />;
  return (
    <>
      {shown.map(([label, xs]) => (
        <div className="fp-group" key={label}>
          <div className="type-label">
            {label} ({xs!.length})
          </div>
          <div className="chips">
            {xs!.map((x) => (
              <span key={x} className="chip chip-kv" title={x}>
                {x}
              </span>
            ))}
          </div>
        </div>
      ))}
    </>
  );
}
