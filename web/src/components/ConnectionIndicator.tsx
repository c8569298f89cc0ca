import { useConnectionState } from '../lib/useStream';

const LABEL = { live: 'LIVE', connecting: 'CONNECTING', offline: 'OFFLINE', idle: 'NO STREAM' } as const;

/** ConnectionIndicator shows the state of the page's live streams in the top bar. */
export function ConnectionIndicator() {
  const s = useConnectionState();
  return (
    <span className={`conn conn-${s}`} data-testid="conn-state" data-state={s} role="status" aria-label={`Stream ${LABEL[s]}`}>
      <span className="dot" aria-hidden="true" />
      {LABEL[s]}
    </span>
  );
}
