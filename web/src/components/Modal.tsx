import { useId, useRef, type ReactNode } from 'react';
import { createPortal } from 'react-dom';
import { useModalBehaviour } from '../lib/focusTrap';

/** Modal is the centred dialog (palette, shortcut help) with the Drawer's keyboard contract. */
export function Modal({ open, onClose, title, children, className }: { open: boolean; onClose: () => void; title: string; children: ReactNode; className?: string }) {
  const panel = useRef<HTMLDivElement>(null);
  const titleId = useId();
  useModalBehaviour(open, panel, onClose);
  if (!open) return null;
  return createPortal(
    <div className="modal-backdrop" onMouseDown={(e) => {
        if (e.target !== e.currentTarget) return;
        e.preventDefault(); // keep focus where it is restored to, as in Drawer
        onClose();
      }}>
      <div ref={panel} className={`modal-panel${className ? ` ${className}` : ''}`} role="dialog" aria-modal="true" aria-labelledby={titleId} tabIndex={-1}>
        <div className="bd-head">
          <h3 id={titleId}>{title}</h3>
          <button type="button" className="icon-btn" aria-label="Close" onClick={onClose}>
            ✕
          </button>
        </div>
        <div className="modal-body">{children}</div>
      </div>
    </div>,
    document.body,
  );
}
