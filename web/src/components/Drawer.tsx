import { useId, useRef, type ReactNode } from 'react';
import { createPortal } from 'react-dom';
import { useModalBehaviour } from '../lib/focusTrap';

export interface DrawerProps {
  open: boolean;
  onClose: () => void;
  title: ReactNode;
  children: ReactNode;
  /** Panel width in px; the TTP inspector is wider (web.md §4.5). */
  width?: number;
  /** Extra class for the panel (per-inspector styling). */
  className?: string;
}

/**
 * Drawer is the one right-hand inspector primitive (web.md §4.5, §9(b)):
 * backdrop + violet-edged panel sliding in, bd-head/bd-body layout, and the
 * full dialog contract — role="dialog", aria-modal, labelled by its title,
 * focus trap, Escape, backdrop click, scroll lock, focus restored to the
 * element that opened it.
 */
export function Drawer({ open, onClose, title, children, width = 620, className }: DrawerProps) {
  const panel = useRef<HTMLDivElement>(null);
  const titleId = useId();
  useModalBehaviour(open, panel, onClose);
  if (!open) return null;
  return createPortal(
    <div
      className="drawer-backdrop"
      data-testid="drawer-backdrop"
      onMouseDown={(e) => {
        if (e.target !== e.currentTarget) return;
        // Keep the mousedown from moving focus to <body>, which would
        // undo the focus restored to the opener.
        e.preventDefault();
        onClose();
      }}
    >
      <div
        ref={panel}
        className={`drawer-panel${className ? ` ${className}` : ''}`}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        tabIndex={-1}
        style={{ width: `min(${width}px, 100%)` }}
      >
        <div className="bd-head">
          <h3 id={titleId}>{title}</h3>
          <button type="button" className="icon-btn" aria-label="Close" onClick={onClose}>
            ✕
          </button>
        </div>
        <div className="bd-body">{children}</div>
      </div>
    </div>,
    document.body,
  );
}

/** KV is one key-value grid (.kvs) inside a drawer. */
export function KV({ items }: { items: [string, ReactNode][] }) {
  return (
    <dl className="kvs">
      {items.map(([k, v]) => (
        <div className="kv" key={k}>
          <dt className="k">{k}</dt>
          <dd className="v">{v}</dd>
        </div>
      ))}
    </dl>
  );
}
