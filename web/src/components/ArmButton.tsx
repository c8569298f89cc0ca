import { useEffect, useRef, useState } from 'react';

/** ARM_MS is how long an armed destructive button waits for its second click. */
export const ARM_MS = 4000;

export interface ArmButtonProps {
  /** Visible label when idle, e.g. "TEAR DOWN". */
  label: string;
  /** Accessible name when idle, for icon-like labels; the armed name is "Confirm <name>". */
  ariaLabel?: string;
  onFire: () => void;
  disabled?: boolean;
  className?: string;
  ms?: number;
}

/**
 * ArmButton is the one two-step confirm for destructive actions (web.md §4.2,
 * §8.13 — no window.confirm anywhere): the first click arms it and shows a
 * countdown, a second click within ms fires onFire; the countdown running
 * out, Escape or moving focus away disarms it.
 */
export function ArmButton({ label, ariaLabel, onFire, disabled, className = 'btn small alert', ms = ARM_MS }: ArmButtonProps) {
  const [left, setLeft] = useState(0); // whole seconds left while armed; 0 = idle
  const [armedAt, setArmedAt] = useState(0);
  const armed = armedAt > 0 && left > 0;
  useEffect(() => {
    if (!armedAt) return;
    // One ticker for the countdown label and one timeout for the end.
    const deadline = armedAt + ms;
    const tick = setInterval(() => setLeft(Math.max(0, Math.ceil((deadline - Date.now()) / 1000))), 250);
    const end = setTimeout(() => setArmedAt(0), ms);
    return () => {
      clearInterval(tick);
      clearTimeout(end);
    };
  }, [armedAt, ms]);
  useEffect(() => {
    if (!armedAt) setLeft(0);
  }, [armedAt]);
  useEffect(() => {
    if (disabled) setArmedAt(0);
  }, [disabled]);
  const btn = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!armed) return;
    // Escape disarms. Listening on window in the capture phase runs before
    // the dialog's own Escape handler (document, capture), so Escape on an
    // armed button inside a drawer disarms it without closing the drawer.
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || document.activeElement !== btn.current) return;
      e.stopPropagation();
      e.preventDefault();
      setArmedAt(0);
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [armed]);
  const name = ariaLabel ?? label;
  return (
    <button
      ref={btn}
      type="button"
      className={`${className}${armed ? ' armed' : ''}`}
      disabled={disabled}
      aria-label={ariaLabel && (armed ? `Confirm ${name}` : ariaLabel)}
      data-armed={armed || undefined}
      onClick={() => {
        if (armed) {
          setArmedAt(0);
          onFire();
        } else {
          setArmedAt(Date.now());
          setLeft(Math.max(1, Math.ceil(ms / 1000)));
        }
      }}
      onBlur={() => setArmedAt(0)}
    >
      {armed ? `CONFIRM ${label}? ${left}s` : label}
    </button>
  );
}
