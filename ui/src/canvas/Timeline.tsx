import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { seg_widths, state_colors, state_kind, type StateKind } from '../lib/states';
import { pan, ticks, tick_label, to_px, zoom, type View } from '../lib/timescale';
import { css_var, use_canvas } from './use_canvas';

// The Gantt chart of a flow run: one bar per task run (or per task-name group
// when the run is too big to list), coloured by state. Wheel or +/- zooms
// around the pointer, drag or arrows pan, the list scrolls with the wheel + Shift
// or the up/down keys. Only the rows in view are drawn.
export interface TimelineRow {
  key: string; label: string; start: number | null; end: number | null;
  state?: string; segments?: { kind: StateKind; frac: number }[]; href?: string; note?: string;
}

const ROW = 18, HEAD = 22;

export function Timeline({ rows, now, height = 360, on_open }: { rows: TimelineRow[]; now: number; height?: number; on_open?: (r: TimelineRow) => void }) {
  const bounds = useMemo<View>(() => {
    let t0 = Infinity, t1 = -Infinity;
    for (const r of rows) {
      if (r.start === null) continue;
      t0 = Math.min(t0, r.start); t1 = Math.max(t1, r.end ?? now);
    }
    if (!Number.isFinite(t0)) return { t0: now - 1000, t1: now };
    if (t1 - t0 < 10) t1 = t0 + 10;
    const pad = (t1 - t0) * 0.02;
    return { t0: t0 - pad, t1: t1 + pad };
  }, [rows, Math.floor(now / 2000)]);
  const [view, set_view] = useState<View | null>(null);
  const [scroll, set_scroll] = useState(0);
  const [hover, set_hover] = useState<{ row: TimelineRow; x: number; y: number } | null>(null);
  const drag = useRef<{ x: number; moved: boolean } | null>(null);
  const v = view ?? bounds;
  const [box_w, set_box_w] = useState(1280);
  const LABEL_W = Math.min(170, Math.round(box_w * 0.28));
  const H = Math.min(height, HEAD + Math.max(rows.length, 1) * ROW + 4);
  const max_scroll = Math.max(0, rows.length * ROW - (H - HEAD));

  const { ref, width } = use_canvas(H, (ctx, w, h) => {
    const col = state_colors();
    const fg = css_var('--fg'), muted = css_var('--muted'), line = css_var('--line');
    const plot_w = w - LABEL_W;
    ctx.font = '11px system-ui, sans-serif';
    const tk = ticks(v, plot_w);
    ctx.strokeStyle = line; ctx.fillStyle = muted; ctx.textAlign = 'left';
    for (const t of tk.times) {
      const x = LABEL_W + to_px(v, plot_w, t);
      ctx.beginPath(); ctx.moveTo(x + .5, HEAD - 4); ctx.lineTo(x + .5, h); ctx.stroke();
      ctx.fillText(tick_label(t, tk.step, bounds.t0), x + 3, 13);
    }
    const first = Math.floor(scroll / ROW), last = Math.min(rows.length, first + Math.ceil((h - HEAD) / ROW) + 1);
    ctx.save();
    ctx.beginPath(); ctx.rect(0, HEAD, w, h - HEAD); ctx.clip();
    for (let i = first; i < last; ++i) {
      const r = rows[i], y = HEAD + i * ROW - scroll;
      ctx.fillStyle = fg; ctx.textAlign = 'left';
      ctx.fillText(clip_text(ctx, r.label, LABEL_W - 8), 4, y + 13);
      if (r.start === null) continue;
      const x0 = LABEL_W + Math.max(-2, to_px(v, plot_w, r.start));
      const x1 = LABEL_W + Math.min(plot_w + 2, to_px(v, plot_w, r.end ?? now));
      if (x1 < LABEL_W || x0 > w) continue;
      const bw = Math.max(2, x1 - x0);
      if (r.segments && r.segments.length) {
        let x = x0;
        for (const [kind, sw] of seg_widths(r.segments, bw)) { ctx.fillStyle = col[kind]; ctx.fillRect(x, y + 3, sw, ROW - 6); x += sw; }
      } else {
        ctx.fillStyle = col[state_kind(r.state ?? 'Pending')];
        ctx.fillRect(x0, y + 3, bw, ROW - 6);
        if (r.end === null) { ctx.fillStyle = col.running; ctx.globalAlpha = .35; ctx.fillRect(x0 + bw, y + 3, 3, ROW - 6); ctx.globalAlpha = 1; }
      }
    }
    ctx.restore();
    ctx.strokeStyle = line; ctx.beginPath(); ctx.moveTo(LABEL_W - .5, 0); ctx.lineTo(LABEL_W - .5, h); ctx.stroke();
  }, [rows, v.t0, v.t1, scroll, now]);

  useEffect(() => { set_view(null); }, [bounds.t0]);
  useEffect(() => { if (width) set_box_w(width); }, [width]);
  useEffect(() => { if (scroll > max_scroll) set_scroll(max_scroll); }, [max_scroll]);

  const plot_w = Math.max(1, width - LABEL_W);
  const row_at = (x: number, y: number) => {
    if (y < HEAD) return null;
    const i = Math.floor((y - HEAD + scroll) / ROW);
    const r = rows[i];
    if (!r) return null;
    if (x < LABEL_W) return r;
    if (r.start === null) return null;
    const a = LABEL_W + to_px(v, plot_w, r.start), b = LABEL_W + to_px(v, plot_w, r.end ?? now);
    return x >= a - 3 && x <= Math.max(b, a + 2) + 3 ? r : null;
  };
  const zoom_by = (factor: number, x = plot_w / 2) => set_view(zoom(v, plot_w, x, factor, bounds));
  const onKey = (e: KeyboardEvent) => {
    const k = e.key;
    if (k === '+' || k === '=') zoom_by(0.7);
    else if (k === '-' || k === '_') zoom_by(1 / 0.7);
    else if (k === '0') { set_view(null); set_scroll(0); }
    else if (k === 'ArrowLeft') set_view(pan(v, plot_w, plot_w / 8, bounds));
    else if (k === 'ArrowRight') set_view(pan(v, plot_w, -plot_w / 8, bounds));
    else if (k === 'ArrowDown') set_scroll((s) => Math.min(max_scroll, s + ROW * 3));
    else if (k === 'ArrowUp') set_scroll((s) => Math.max(0, s - ROW * 3));
    else if (k === 'PageDown') set_scroll((s) => Math.min(max_scroll, s + H - HEAD));
    else if (k === 'PageUp') set_scroll((s) => Math.max(0, s - (H - HEAD)));
    else return;
    e.preventDefault();
  };
  return (
    <div>
      <div class="canvas-box" onKeyDown={onKey}>
        <canvas ref={ref} tabIndex={0} role="img"
          aria-label={`Timeline of ${rows.length} rows. Plus and minus zoom, arrow keys pan and scroll, 0 resets.`}
          onWheel={(e) => {
            e.preventDefault();
            if (e.shiftKey || Math.abs(e.deltaY) > 0 && e.offsetX < LABEL_W) set_scroll((s) => Math.max(0, Math.min(max_scroll, s + e.deltaY)));
            else zoom_by(e.deltaY > 0 ? 1.25 : 0.8, e.offsetX - LABEL_W);
          }}
          onPointerDown={(e) => { drag.current = { x: e.clientX, moved: false }; (e.currentTarget as Element).setPointerCapture(e.pointerId); }}
          onPointerMove={(e) => {
            const d = drag.current;
            if (d && Math.abs(e.clientX - d.x) > 2) { set_view(pan(v, plot_w, e.clientX - d.x, bounds)); d.x = e.clientX; d.moved = true; set_hover(null); return; }
            const r = row_at(e.offsetX, e.offsetY);
            set_hover(r ? { row: r, x: e.offsetX, y: e.offsetY } : null);
          }}
          onPointerUp={(e) => {
            const d = drag.current; drag.current = null;
            if (d && !d.moved) { const r = row_at(e.offsetX, e.offsetY); if (r && on_open) on_open(r); }
          }} />
        {hover && (
          <div class="tooltip" style={{ left: Math.min(width - 260, hover.x + 12), top: Math.min(H - 50, hover.y + 10) }}>
            <b>{hover.row.label}</b>{hover.row.state && <> · {hover.row.state}</>}
            {hover.row.start !== null && <div>{((((hover.row.end ?? now) - hover.row.start)) / 1000).toFixed(3)} s</div>}
            {hover.row.note && <div>{hover.row.note}</div>}
          </div>)}
      </div>
      <div class="row muted" style={{ fontSize: '.8rem', marginTop: '.3rem' }}>
        <button type="button" onClick={() => zoom_by(0.6)} aria-label="Zoom in">+</button>
        <button type="button" onClick={() => zoom_by(1 / 0.6)} aria-label="Zoom out">−</button>
        <button type="button" onClick={() => { set_view(null); set_scroll(0); }}>Reset</button>
        <span>{rows.length.toLocaleString('en-US')} rows · wheel zooms, drag pans, Shift+wheel scrolls</span>
      </div>
    </div>
  );
}

function clip_text(ctx: CanvasRenderingContext2D, s: string, w: number): string {
  if (ctx.measureText(s).width <= w) return s;
  let lo = 0, hi = s.length;
  while (lo < hi) { const m = (lo + hi + 1) >> 1; if (ctx.measureText(s.slice(0, m) + '…').width <= w) lo = m; else hi = m - 1; }
  return s.slice(0, lo) + '…';
}
