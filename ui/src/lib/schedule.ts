// Schedules in words, as the deployments pages show them: "every 15 min",
// "cron 0 3 * * * (Europe/Berlin)", "rrule FREQ=DAILY;BYHOUR=3 (UTC)".
import type { Schedule } from './types';

const UNITS: [number, string][] = [[86400, 'day'], [3600, 'h'], [60, 'min'], [1, 's']];

// 900 → "15 min", 5400 → "1 h 30 min", 86400 → "1 day", 172800 → "2 days", 1.5 → "1.5 s".
export function fmt_interval(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return `${seconds} s`;
  if (!Number.isInteger(seconds)) return `${seconds} s`;
  const parts: string[] = [];
  let rest = seconds;
  for (const [size, name] of UNITS) {
    if (rest < size) continue;
    const n = Math.floor(rest / size);
    rest -= n * size;
    parts.push(name === 'day' ? `${n} ${n === 1 ? 'day' : 'days'}` : `${n} ${name}`);
  }
  return parts.join(' ');
}

export function describe_schedule(s: Schedule): string {
  const tz = s.timezone || 'UTC';
  switch (s.kind) {
    case 'interval': {
      const every = s.interval_seconds === undefined ? 'every ? s' : `every ${fmt_interval(s.interval_seconds)}`;
      return every;
    }
    case 'cron': return `cron ${(s.cron ?? '').trim().replace(/\s+/g, ' ')} (${tz})`;
    case 'rrule': return `rrule ${(s.rrule ?? '').trim().replace(/^RRULE:/i, '')} (${tz})`;
    default: return String((s as { kind?: unknown }).kind ?? 'unknown schedule');
  }
}

// All of a deployment's schedules in one line; paused ones are marked.
export function describe_schedules(list: Schedule[] | undefined): string {
  if (!list || list.length === 0) return 'no schedule';
  return list.map((s) => describe_schedule(s) + (s.active === false ? ' [paused]' : '')).join('; ');
}
