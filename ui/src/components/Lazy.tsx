import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';

// A page whose code is loaded when it is first shown (a separate chunk), so
// the pages of runs — the first paint — do not carry the automation pages.
export function lazy<P extends object>(load: () => Promise<ComponentType<P>>): ComponentType<P> {
  let loaded: ComponentType<P> | null = null;
  let pending: Promise<ComponentType<P>> | null = null;
  return function Lazy(props: P) {
    const [, set_ready] = useState(0);
    const [error, set_error] = useState<string | null>(null);
    useEffect(() => {
      if (loaded) return;
      let live = true;
      pending ??= load();
      pending.then((c) => { loaded = c; if (live) set_ready(1); },
        (e: unknown) => { pending = null; if (live) set_error(e instanceof Error ? e.message : String(e)); });
      return () => { live = false; };
    }, []);
    if (loaded) { const C = loaded; return <C {...props} />; }
    return error ? <p class="error" role="alert">This page could not be loaded: {error}</p> : <p class="muted">Loading…</p>;
  };
}
