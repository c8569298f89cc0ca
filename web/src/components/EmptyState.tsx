export function EmptyState({ title, hint, compact }: { title: string; hint?: string; compact?: boolean }) {
  return (
    <div className={`empty-state${compact ? ' compact' : ''}`}>
      <div className="empty-icon" aria-hidden="true">
        ◌
      </div>
      <div className="empty-title">{title}</div>
      {hint && <div className="empty-hint">{hint}</div>}
    </div>
  );
}

export function ErrorBox({ text }: { text: string }) {
  return (
    <div className="error-box" role="alert">
      {text}
    </div>
  );
}
