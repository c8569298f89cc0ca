import { useMemo, useState } from 'react';
import { Modal } from './Modal';

export interface Command {
  id: string;
  group: 'GO TO' | 'ACTIONS';
  label: string;
  hint?: string;
  run(): void;
}

/** CommandPalette lists real commands only; Enter runs the highlighted one. */
export function CommandPalette({ open, onClose, commands }: { open: boolean; onClose: () => void; commands: Command[] }) {
  const [q, setQ] = useState('');
  const [sel, setSel] = useState(0);
  const shown = useMemo(() => {
    const needle = q.trim().toLowerCase();
    return commands.filter((c) => !needle || c.label.toLowerCase().includes(needle) || c.group.toLowerCase().includes(needle));
  }, [q, commands]);
  const close = () => {
    setQ('');
    setSel(0);
    onClose();
  };
  const fire = (c: Command | undefined) => {
    if (!c) return;
    close();
    c.run();
  };
  return (
    <Modal open={open} onClose={close} title="COMMAND PALETTE" className="palette">
      <input
        data-autofocus
        className="input palette-input"
        placeholder="Type a command or search…"
        aria-label="Command"
        aria-controls="palette-list"
        aria-activedescendant={shown[sel] ? `cmd-${shown[sel].id}` : undefined}
        value={q}
        onChange={(e) => {
          setQ(e.target.value);
          setSel(0);
        }}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') {
            e.preventDefault();
            setSel((s) => (shown.length ? (s + 1) % shown.length : 0));
          } else if (e.key === 'ArrowUp') {
            e.preventDefault();
            setSel((s) => (shown.length ? (s - 1 + shown.length) % shown.length : 0));
          } else if (e.key === 'Enter') {
            e.preventDefault();
            fire(shown[sel]);
          }
        }}
      />
      <ul id="palette-list" role="listbox" aria-label="Commands" className="palette-list">
        {shown.map((c, i) => (
          <li
            key={c.id}
            id={`cmd-${c.id}`}
            role="option"
            aria-selected={i === sel}
            className={i === sel ? 'selected' : undefined}
            onMouseEnter={() => setSel(i)}
            onClick={() => fire(c)}
          >
            <span className="dim">{c.group}</span> {c.label}
            {c.hint && <kbd>{c.hint}</kbd>}
          </li>
        ))}
        {shown.length === 0 && <li className="dim">NO COMMAND MATCHES</li>}
      </ul>
      <div className="palette-foot dim">↑↓ NAVIGATE · ⏎ SELECT · ESC CLOSE</div>
    </Modal>
  );
}
