import { useEffect, useRef, useState } from 'preact/hooks';

// A canvas sized to its box at the device pixel ratio, redrawn on resize and
// when the system theme flips (the palette comes from CSS variables).
export function use_canvas(height: number, draw: (ctx: CanvasRenderingContext2D, w: number, h: number) => void, deps: unknown[]) {
  const ref = useRef<HTMLCanvasElement>(null);
  const [width, set_width] = useState(0);
  const [theme, set_theme] = useState(0);
  useEffect(() => {
    const c = ref.current;
    if (!c) return;
    const ro = new ResizeObserver(() => set_width(c.clientWidth));
    ro.observe(c);
    set_width(c.clientWidth);
    const mq = window.matchMedia('(prefers-color-scheme: dark)');
    const on = () => set_theme((t) => t + 1);
    mq.addEventListener('change', on);
    return () => { ro.disconnect(); mq.removeEventListener('change', on); };
  }, []);
  useEffect(() => {
    const c = ref.current;
    if (!c || width === 0) return;
    const dpr = window.devicePixelRatio || 1;
    c.width = Math.round(width * dpr); c.height = Math.round(height * dpr);
    c.style.height = `${height}px`;
    const ctx = c.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    draw(ctx, width, height);
  }, [width, height, theme, ...deps]);
  return { ref, width };
}

export function css_var(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}
