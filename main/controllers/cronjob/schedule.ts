// Next activation times of a parsed cron schedule (robfig/cron v3 SpecSchedule.Next and
// ConstantDelaySchedule.Next, as the CronJob controller uses them) in a given IANA time zone.
import type { CronSchedule } from '../../apiserver/validation/cron.ts';

const MINUTE = 60_000;

interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

function zoneName(tz: string | undefined): string {
  return !tz || tz === 'Local' ? 'UTC' : tz;
}

/** The zone's offset from UTC at an instant, in ms. */
export function zoneOffsetMs(ms: number, timeZone: string | undefined): number {
  const tz = zoneName(timeZone);
  if (tz === 'UTC') return 0;
  const parts: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(new Date(ms)))
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const asUtc = Date.UTC(
    parts.year,
    parts.month - 1,
    parts.day,
    parts.hour,
    parts.minute,
    parts.second,
  );
  return asUtc - Math.floor(ms / 1000) * 1000;
}

function toWall(ms: number, tz: string | undefined): Wall {
  const d = new Date(ms + zoneOffsetMs(ms, tz));
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
  };
}

function fromWall(w: Wall, tz: string | undefined): number {
  const local = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute);
  const guess = local - zoneOffsetMs(local, tz);
  return local - zoneOffsetMs(guess, tz);
}

function dayMatches(s: CronSchedule, w: Wall): boolean {
  const dom = s.dayOfMonth.has(w.day);
  const dow = s.dayOfWeek.has(new Date(Date.UTC(w.year, w.month - 1, w.day)).getUTCDay());
  return s.domStar || s.dowStar ? dom && dow : dom || dow;
}

/** The first activation strictly after `afterMs`, or undefined if none within five years. */
export function nextActivation(
  s: CronSchedule,
  afterMs: number,
  timeZone?: string,
): number | undefined {
  if (s.everyMs !== undefined) {
    // ConstantDelaySchedule: whole seconds, at least one second.
    const delay = Math.max(1000, Math.floor(s.everyMs / 1000) * 1000);
    return Math.floor(afterMs / 1000) * 1000 + delay;
  }
  const tz = s.timeZone ?? timeZone;
  // Start at the next whole minute, in wall-clock terms of the zone.
  const w = toWall(Math.floor(afterMs / MINUTE) * MINUTE + MINUTE, tz);
  const limit = w.year + 5;
  const norm = () => {
    const d = new Date(Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute));
    w.year = d.getUTCFullYear();
    w.month = d.getUTCMonth() + 1;
    w.day = d.getUTCDate();
    w.hour = d.getUTCHours();
    w.minute = d.getUTCMinutes();
  };
  while (w.year <= limit) {
    if (!s.month.has(w.month)) {
      Object.assign(w, { month: w.month + 1, day: 1, hour: 0, minute: 0 });
      norm();
      continue;
    }
    if (!dayMatches(s, w)) {
      Object.assign(w, { day: w.day + 1, hour: 0, minute: 0 });
      norm();
      continue;
    }
    if (!s.hour.has(w.hour)) {
      Object.assign(w, { hour: w.hour + 1, minute: 0 });
      norm();
      continue;
    }
    if (!s.minute.has(w.minute)) {
      w.minute += 1;
      norm();
      continue;
    }
    const at = fromWall(w, tz);
    if (at > afterMs) return at;
    w.minute += 1;
    norm();
  }
  return undefined;
}

/** RFC 3339 in the zone (Go's time.RFC3339 of t.In(zone)): `…Z` for UTC, else `±hh:mm`. */
export function formatInZone(ms: number, timeZone: string | undefined): string {
  const offset = zoneOffsetMs(ms, timeZone);
  const base = new Date(Math.floor(ms / 1000) * 1000 + offset).toISOString().slice(0, 19);
  if (offset === 0) return `${base}Z`;
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset) / MINUTE;
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${base}${sign}${hh}:${mm}`;
}
