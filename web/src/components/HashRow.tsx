import { useToast } from './Toast';

/** HashRow shows a SHA-256 with a copy button (web.md §4.5 .hash-row). */
export function HashRow({ hash }: { hash: string }) {
  const toast = useToast();
  return (
    <div className="hash-row">
      <span className="violet">{hash}</span>
      <button
        type="button"
        className="icon-btn"
        aria-label="Copy SHA-256"
        onClick={() => {
          Promise.resolve()
            .then(() => navigator.clipboard.writeText(hash))
            .then(() => toast.push('HASH COPIED'))
            .catch(() => toast.push('CLIPBOARD BLOCKED', 'alert'));
        }}
      >
        ⧉
      </button>
    </div>
  );
}
