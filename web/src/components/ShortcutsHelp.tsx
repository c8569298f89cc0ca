import { NAV, type NavItem } from '../lib/nav';
import { Modal } from './Modal';

export function ShortcutsHelp({ open, onClose, items = NAV }: { open: boolean; onClose: () => void; items?: NavItem[] }) {
  const rows: [string, string][] = [
    ['Alt+K / Ctrl+K', 'Command palette'],
    ['?', 'This help'],
    ['/', 'Focus the page search'],
    ['Esc', 'Close a dialog or drawer'],
    ...items.map((n): [string, string] => [`G ${n.chord.toUpperCase()}`, `Go to ${n.label}`]),
  ];
  return (
    <Modal open={open} onClose={onClose} title="KEYBOARD SHORTCUTS">
      <table className="data-table">
        <tbody>
          {rows.map(([k, v]) => (
            <tr key={k}>
              <td>
                <kbd>{k}</kbd>
              </td>
              <td>{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Modal>
  );
}
