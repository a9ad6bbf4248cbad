// The live feed (/api/stream): reconnects with backoff while the page wants it.
import { API_BASE, ask_for_key, auth_headers, query_string } from './api';
import { SseParser, type SseEvent } from './sse';

export type StreamStatus = 'connecting' | 'live' | 'retrying';

export function open_stream(flow_run: string | null, on_event: (e: SseEvent) => void,
                            on_status?: (s: StreamStatus) => void): () => void {
  let stopped = false;
  let ctrl: AbortController | null = null;
  let delay = 500;
  const run = async () => {
    while (!stopped) {
      ctrl = new AbortController();
      on_status?.('connecting');
      try {
        const res = await fetch(API_BASE + '/stream' + query_string({ flow_run }), {
          headers: { Accept: 'text/event-stream', ...auth_headers() }, signal: ctrl.signal,
        });
        if (res.status === 401) { await ask_for_key(); continue; }
        if (!res.ok || !res.body) throw new Error(`stream: HTTP ${res.status}`);
        on_status?.('live');
        delay = 500;
        const parser = new SseParser(on_event);
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          parser.push(value);
        }
      } catch { /* aborted or dropped: retried below unless stopped */ }
      if (stopped) break;
      on_status?.('retrying');
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 10000);
    }
  };
  void run();
  return () => { stopped = true; ctrl?.abort(); };
}
