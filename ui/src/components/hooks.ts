import { useEffect, useRef, useState } from 'preact/hooks';

export interface Async<T> { data: T | null; error: string | null; loading: boolean; reload: () => void }

// Runs fn when deps change; the answer of a superseded call is dropped.
export function use_async<T>(fn: () => Promise<T>, deps: unknown[]): Async<T> {
  const [state, set] = useState<{ data: T | null; error: string | null; loading: boolean }>({ data: null, error: null, loading: true });
  const [tick, set_tick] = useState(0);
  const gen = useRef(0);
  useEffect(() => {
    const g = ++gen.current;
    set((s) => ({ ...s, loading: true }));
    fn().then(
      (data) => { if (g === gen.current) set({ data, error: null, loading: false }); },
      (e: unknown) => { if (g === gen.current) set((s) => ({ data: s.data, error: e instanceof Error ? e.message : String(e), loading: false })); });
  }, [...deps, tick]);
  return { ...state, reload: () => set_tick((t) => t + 1) };
}

// Calls fn at most once per `ms`, with the last call's arguments coming through.
export function use_throttle(fn: () => void, ms: number): () => void {
  const last = useRef(0);
  const timer = useRef<number | null>(null);
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => () => { if (timer.current !== null) clearTimeout(timer.current); }, []);
  return () => {
    if (timer.current !== null) return;
    const wait = Math.max(0, last.current + ms - Date.now());
    timer.current = window.setTimeout(() => { timer.current = null; last.current = Date.now(); ref.current(); }, wait);
  };
}

export function use_now(ms: number): number {
  const [now, set] = useState(Date.now());
  useEffect(() => { const t = setInterval(() => set(Date.now()), ms); return () => clearInterval(t); }, [ms]);
  return now;
}

export function use_title(t: string): void {
  useEffect(() => { document.title = t ? `${t} · baton` : 'baton'; }, [t]);
}
