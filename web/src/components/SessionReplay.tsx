import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { ApiError, api, errorText } from '../lib/api';
import { terminalText } from '../lib/ansi';
import { Modal } from './Modal';

/** TranscriptPage is GET /transcripts/{decky}/{sid}: one page of asciicast v2 events. */
export interface TranscriptPage {
  sid: string;
  service: string;
  header: { width?: number; height?: number; idle_time_limit?: number; [k: string]: unknown };
  events: unknown[];
  offset: number;
  limit: number;
  total: number;
  has_more: boolean;
  truncated: boolean;
}

export interface ReplayTarget {
  decky: string;
  sid: string;
  service: string;
}

const PAGE = 5000;
/** MAX_EVENTS bounds what the player loads, so a runaway recording cannot exhaust the tab. */
const MAX_EVENTS = 200_000;
/** Long idle gaps (the attacker thinking) are compressed to this many seconds unless the header sets idle_time_limit. */
const IDLE_CAP_S = 2;
const TICK_MS = 50;
export const SPEEDS = [1, 2, 8] as const;

interface Frame {
  t: number; // seconds from the start, idle gaps compressed
  end: number; // length of the joined output after this event
}

interface Loaded {
  frames: Frame[];
  text: string;
  duration: number;
  truncated: boolean;
  capped: boolean;
}

/** fetchTranscript loads every page of a transcript (up to MAX_EVENTS events). */
async function fetchTranscript(decky: string, sid: string, signal: AbortSignal): Promise<{ pages: TranscriptPage[]; capped: boolean }> {
  const pages: TranscriptPage[] = [];
  let offset = 0;
  for (;;) {
    const p = await api<TranscriptPage>(`/transcripts/${encodeURIComponent(decky)}/${encodeURIComponent(sid)}`, { query: { offset, limit: PAGE }, signal });
    pages.push(p);
    offset += p.events.length;
    if (!p.has_more || p.events.length === 0) return { pages, capped: false };
    if (offset >= MAX_EVENTS) return { pages, capped: true };
  }
}

/** buildTimeline joins the output events ("o") into one text and a frame per event. */
export function buildTimeline(pages: TranscriptPage[]): Omit<Loaded, 'capped'> {
  const idle = Number(pages[0]?.header.idle_time_limit) > 0 ? Number(pages[0]!.header.idle_time_limit) : IDLE_CAP_S;
  const frames: Frame[] = [];
  const parts: string[] = [];
  let len = 0;
  let prevRaw = 0;
  let t = 0;
  for (const p of pages) {
    for (const ev of p.events) {
      if (!Array.isArray(ev) || ev.length < 3 || ev[1] !== 'o' || typeof ev[2] !== 'string') continue;
      const raw = Number(ev[0]);
      if (!Number.isFinite(raw)) continue;
      t += Math.min(Math.max(raw - prevRaw, 0), idle);
      prevRaw = raw;
      parts.push(ev[2]);
      len += ev[2].length;
      frames.push({ t, end: len });
    }
  }
  return { frames, text: parts.join(''), duration: t, truncated: pages.some((p) => p.truncated) };
}

/** framesUpTo is how many frames are due at time pos (binary search). */
function framesUpTo(frames: Frame[], pos: number): number {
  let lo = 0;
  let hi = frames.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (frames[mid]!.t <= pos) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const fmtSec = (s: number) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;

/**
 * SessionReplay is the transcript player in a modal: it loads every page of
 * the session's asciicast events and plays the output as plain text (escape
 * sequences stripped), with play/pause, speed and a position slider. Space
 * toggles play anywhere in the player; Escape closes (Modal).
 */
export function SessionReplay({ target, onClose }: { target: ReplayTarget | null; onClose: () => void }) {
  return (
    <Modal open={target !== null} onClose={onClose} title={target ? `REPLAY · ${target.decky} · ${target.sid}` : ''} className="replay-modal">
      {target && <Player key={`${target.decky}/${target.sid}`} target={target} />}
    </Modal>
  );
}

function Player({ target }: { target: ReplayTarget }) {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState('');
  const [pos, setPos] = useState(0);
  const [playing, setPlaying] = useState(false);
  const [speed, setSpeed] = useState<number>(1);
  const screenRef = useRef<HTMLPreElement>(null);
  const playRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    const ctl = new AbortController();
    fetchTranscript(target.decky, target.sid, ctl.signal)
      .then(({ pages, capped }) => {
        setLoaded({ ...buildTimeline(pages), capped });
        setPlaying(true);
      })
      .catch((e: unknown) => {
        if (ctl.signal.aborted) return;
        setError(e instanceof ApiError && e.status === 403 ? 'ADMIN ROLE REQUIRED' : `FAILED TO LOAD TRANSCRIPT: ${errorText(e)}`);
      });
    return () => ctl.abort();
  }, [target.decky, target.sid]);

  const duration = loaded?.duration ?? 0;
  useEffect(() => {
    if (!playing || !loaded) return;
    let last = performance.now();
    const id = setInterval(() => {
      const now = performance.now();
      const dt = ((now - last) / 1000) * speed;
      last = now;
      setPos((p) => {
        const next = Math.min(p + dt, duration);
        if (next >= duration) setPlaying(false);
        return next;
      });
    }, TICK_MS);
    return () => clearInterval(id);
  }, [playing, speed, loaded, duration]);

  const shown = loaded ? framesUpTo(loaded.frames, pos) : 0;
  const text = useMemo(() => (loaded && shown > 0 ? terminalText(loaded.text.slice(0, loaded.frames[shown - 1]!.end)) : ''), [loaded, shown]);

  // The modal focused its Close button while the transcript loaded; once
  // the player is there, focus moves to play/pause so Space works at once.
  const ready = loaded !== null;
  useEffect(() => {
    if (ready) playRef.current?.focus();
  }, [ready]);

  useEffect(() => {
    const el = screenRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [text]);

  const toggle = useCallback(() => {
    if (!loaded) return;
    if (playing) setPlaying(false);
    else {
      if (pos >= duration) setPos(0); // replay from the start once finished
      setPlaying(true);
    }
  }, [loaded, playing, pos, duration]);

  // Space toggles play anywhere in the player except on a control that
  // Space already activates (buttons click on their own).
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key !== ' ') return;
    const tag = (e.target as HTMLElement).tagName;
    if (tag === 'BUTTON' || tag === 'SELECT' || tag === 'TEXTAREA') return;
    e.preventDefault();
    toggle();
  };

  if (error) return <div className="error-box" role="alert">{error}</div>;
  if (!loaded) return <div className="loading">LOADING TRANSCRIPT…</div>;
  return (
    <div className="replay" onKeyDown={onKeyDown}>
      <pre ref={screenRef} className="replay-screen" tabIndex={0} aria-label="Terminal output" data-testid="replay-screen">
        {text}
      </pre>
      <div className="replay-controls">
        <button ref={playRef} type="button" className="btn small" data-autofocus onClick={toggle} aria-label={playing ? 'Pause' : 'Play'} aria-keyshortcuts="Space">
          {playing ? '❚❚ PAUSE' : '▶ PLAY'}
        </button>
        <input
          type="range"
          className="replay-slider"
          aria-label="Position"
          min={0}
          max={Math.max(duration, 0.001)}
          step={0.05}
          value={pos}
          aria-valuetext={`${fmtSec(pos)} of ${fmtSec(duration)}`}
          onChange={(e) => setPos(Number(e.target.value))}
        />
        <span className="replay-time">
          {fmtSec(pos)} / {fmtSec(duration)}
        </span>
        <div className="seg-group" role="group" aria-label="Speed">
          {SPEEDS.map((s) => (
            <button key={s} type="button" className={`seg${s === speed ? ' active' : ''}`} aria-pressed={s === speed} onClick={() => setSpeed(s)}>
              {s}×
            </button>
          ))}
        </div>
      </div>
      <div className="dim replay-note">
        {target.service.toUpperCase()} · {loaded.frames.length} OUTPUT EVENTS · IDLE GAPS COMPRESSED · SPACE PLAYS/PAUSES
        {loaded.truncated && <span className="amber"> · RECORDING TRUNCATED AT THE SIZE CAP</span>}
        {loaded.capped && <span className="amber"> · FIRST {MAX_EVENTS.toLocaleString()} EVENTS ONLY</span>}
      </div>
    </div>
  );
}
