import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from 'react';

export type Tone = 'matrix' | 'violet' | 'alert';
interface ToastItem {
  id: number;
  text: string;
  tone: Tone;
}
interface ToastApi {
  push(text: string, tone?: Tone): void;
}

const Ctx = createContext<ToastApi>({ push: () => undefined });

/** TOAST_MS is how long a toast stays (the original's 3.2 s). */
export const TOAST_MS = 3200;

export function ToastProvider({ children }: { children: ReactNode }) {
  const [items, setItems] = useState<ToastItem[]>([]);
  const next = useRef(1);
  const push = useCallback((text: string, tone: Tone = 'matrix') => {
    const id = next.current++;
    setItems((xs) => [...xs.slice(-4), { id, text, tone }]);
    setTimeout(() => setItems((xs) => xs.filter((x) => x.id !== id)), TOAST_MS);
  }, []);
  const value = useMemo(() => ({ push }), [push]);
  return (
    <Ctx.Provider value={value}>
      {children}
      {/* A live region, so screen readers announce toasts (web.md §4.6). */}
      <div className="toast-stack" role="status" aria-live="polite">
        {items.map((t) => (
          <div key={t.id} className={`toast toast-${t.tone}`}>
            {t.text}
          </div>
        ))}
      </div>
    </Ctx.Provider>
  );
}

export function useToast(): ToastApi {
  return useContext(Ctx);
}
