import { useEffect, useRef } from 'react';
import { CHORD_MS, NAV } from './nav';

export interface HotkeyHandlers {
  togglePalette(): void;
  openHelp(): void;
  navigate(path: string): void;
  focusSearch(): void;
  /** True while a dialog owns the keyboard. */
  blocked(): boolean;
}

function typing(t: EventTarget | null): boolean {
  if (!(t instanceof HTMLElement)) return false;
  return t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName);
}

/** FOCUS_SEARCH_SELECTOR marks a page's main search input, the target of "/". */
export const FOCUS_SEARCH_SELECTOR = '[data-page-search]';

/**
 * useGlobalHotkeys wires the keyboard layer: Alt+K (or Ctrl+K) toggles the
 * palette even while typing; "?", "/" and the G chord work when not typing
 * and no dialog is open.
 */
export function useGlobalHotkeys(h: HotkeyHandlers): void {
  const ref = useRef(h);
  useEffect(() => {
    ref.current = h;
  });
  useEffect(() => {
    let chordAt = 0;
    const onKey = (e: KeyboardEvent) => {
      const cur = ref.current;
      if ((e.altKey || e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'k') {
        e.preventDefault();
        cur.togglePalette();
        return;
      }
      if (e.altKey || e.ctrlKey || e.metaKey || typing(e.target) || cur.blocked()) return;
      if (chordAt && Date.now() - chordAt <= CHORD_MS) {
        chordAt = 0;
        const item = NAV.find((n) => n.chord === e.key.toLowerCase());
        if (item) {
          e.preventDefault();
          cur.navigate(item.path);
        }
        return;
      }
      chordAt = 0;
      if (e.key === '?') {
        e.preventDefault();
        cur.openHelp();
      } else if (e.key === '/') {
        e.preventDefault();
        cur.focusSearch();
      } else if (e.key === 'g') {
        chordAt = Date.now();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
