import { useState } from 'preact/hooks';
import { ALL_STATES, state_colors, state_kind } from '../lib/states';
import { parse_time } from '../lib/format';
import { css_var, use_canvas } from './use_canvas';

// Runs per time bucket, stacked by state. Drawn by hand on a canvas: a few
// hundred rectangles need no charting library.
export interface Bucket { start: string; counts: Record<string, number> }

export function StateChart({ buckets, bucket_seconds }: { buckets: Bucket[]; bucket_seconds: number }) {
  const [hover, set_hover] = useState<number | null>(null);
  const H = 220, PAD_L = 36, PAD_B = 22, PAD_T = 8;
  const states = ALL_STATES.filter((s) => buckets.some((b) => (b.counts[s] ?? 0) > 0));
  const max = Math.max(1, ...buckets.map((b) => Object.values(b.counts).reduce((a, c) => a + c, 0)));
  const { ref, width } = use_canvas(H, (ctx, w, h) => {
    const col = state_colors();
    const fg = css_var('--muted'), line = css_var('--line');
    const plot_w = w - PAD_L - 4, plot_h = h - PAD_B - PAD_T;
    ctx.font = '11px system-ui, sans-serif';
    ctx.strokeStyle = line; ctx.fillStyle = fg; ctx.lineWidth = 1;
    for (let i = 0; i <= 4; ++i) {
      const v = Math.round((max * i) / 4), y = PAD_T + plot_h - (v / max) * plot_h;
      ctx.beginPath(); ctx.moveTo(PAD_L, y + .5); ctx.lineTo(w - 4, y + .5); ctx.stroke();
      ctx.textAlign = 'right'; ctx.fillText(String(v), PAD_L - 4, y + 4);
    }
    const n = Math.max(1, buckets.length), bw = plot_w / n;
    buckets.forEach((b, i) => {
      let y = PAD_T + plot_h;
      for (const s of states) {
        const c = b.counts[s] ?? 0;
        if (!c) continue;
        const hh = (c / max) * plot_h;
        ctx.fillStyle = col[state_kind(s)];
        ctx.fillRect(PAD_L + i * bw + 1, y - hh, Math.max(1, bw - 2), hh);
        y -= hh;
      }
    });
    ctx.fillStyle = fg; ctx.textAlign = 'center';
    const every = Math.max(1, Math.ceil(n / Math.max(1, Math.floor(plot_w / 70))));
    buckets.forEach((b, i) => {
      if (i % every) return;
      const t = parse_time(b.start);
      if (t === null) return;
      const d = new Date(t);
      const label = bucket_seconds >= 86400 ? `${d.getMonth() + 1}/${d.getDate()}` : `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
      ctx.fillText(label, PAD_L + (i + .5) * bw, h - 6);
    });
  }, [buckets, max]);
  const bw = (width - PAD_L - 4) / Math.max(1, buckets.length);
  const hb = hover !== null ? buckets[hover] : null;
  const total = buckets.reduce((a, b) => a + Object.values(b.counts).reduce((x, y) => x + y, 0), 0);
  return (
    <div>
      <div class="canvas-box">
        <canvas ref={ref} role="img" aria-label={`Flow runs over time by state: ${total} runs in ${buckets.length} buckets`}
          onMouseMove={(e) => { const i = Math.floor((e.offsetX - PAD_L) / bw); set_hover(i >= 0 && i < buckets.length ? i : null); }}
          onMouseLeave={() => set_hover(null)} />
        {hb && hover !== null && (
          <div class="tooltip" style={{ left: Math.min(width - 200, PAD_L + hover * bw + 8), top: 8 }}>
            <b>{new Date(parse_time(hb.start) ?? 0).toLocaleString()}</b>
            {Object.entries(hb.counts).filter(([, c]) => c > 0).map(([s, c]) => <div key={s}>{s}: {c}</div>)}
            {Object.values(hb.counts).every((c) => !c) && <div class="muted">no runs</div>}
          </div>)}
      </div>
      <div class="legend">{states.map((s) => <span key={s}><i style={{ background: `var(--st-${state_kind(s)})` }} />{s}</span>)}</div>
    </div>
  );
}
