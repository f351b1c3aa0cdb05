// Cron schedule parsing as CronJob validation does it: github.com/robfig/cron/v3 ParseStandard
// (5 fields, @descriptors, TZ=/CRON_TZ= prefixes), with that library's error messages. Also gives
// the minute/hour/day bit sets so the CronJob controller can compute next run times.

export interface CronSchedule {
  /** Set of allowed values per field. */
  minute: Set<number>;
  hour: Set<number>;
  dayOfMonth: Set<number>;
  month: Set<number>;
  dayOfWeek: Set<number>;
  /** Day-of-month or day-of-week was '*' (robfig's starBit): then only the other one restricts. */
  domStar: boolean;
  dowStar: boolean;
  /** For "@every <duration>": the interval in milliseconds. */
  everyMs?: number;
  /** Time zone given by a TZ= or CRON_TZ= prefix. */
  timeZone?: string;
}

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const minutes: Bounds = { min: 0, max: 59 };
const hours: Bounds = { min: 0, max: 23 };
const dom: Bounds = { min: 1, max: 31 };
const months: Bounds = {
  min: 1,
  max: 12,
  names: {
    jan: 1,
    feb: 2,
    mar: 3,
    apr: 4,
    may: 5,
    jun: 6,
    jul: 7,
    aug: 8,
    sep: 9,
    oct: 10,
    nov: 11,
    dec: 12,
  },
};
const dow: Bounds = {
  min: 0,
  max: 6,
  names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 },
};

class CronError extends Error {}

/** strconv.Atoi with Go's error text. */
function atoi(expr: string): number {
  if (!/^[+-]?[0-9]+$/.test(expr)) {
    throw new CronError(
      `failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: invalid syntax`,
    );
  }
  const n = Number(expr);
  if (!Number.isSafeInteger(n) || Math.abs(n) > 2 ** 63) {
    throw new CronError(
      `failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: value out of range`,
    );
  }
  return n;
}

function mustParseInt(expr: string): number {
  const n = atoi(expr);
  if (n < 0) throw new CronError(`negative number (${n}) not allowed: ${expr}`);
  return n;
}

function parseIntOrName(expr: string, names?: Record<string, number>): number {
  const named = names?.[expr.toLowerCase()];
  return named !== undefined ? named : mustParseInt(expr);
}

function getRange(expr: string, r: Bounds, out: Set<number>): boolean {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = rangeAndStep[0].split('-');
  const singleDigit = lowAndHigh.length === 1;
  let start: number;
  let end: number;
  let star = false;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = r.min;
    end = r.max;
    star = true;
  } else {
    start = parseIntOrName(lowAndHigh[0], r.names);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1], r.names);
    else throw new CronError(`too many hyphens: ${expr}`);
  }
  let step: number;
  if (rangeAndStep.length === 1) step = 1;
  else if (rangeAndStep.length === 2) {
    step = mustParseInt(rangeAndStep[1]);
    if (singleDigit) end = r.max;
    if (step > 1) star = false;
  } else throw new CronError(`too many slashes: ${expr}`);
  if (start < r.min)
    throw new CronError(`beginning of range (${start}) below minimum (${r.min}): ${expr}`);
  if (end > r.max) throw new CronError(`end of range (${end}) above maximum (${r.max}): ${expr}`);
  if (start > end)
    throw new CronError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new CronError(`step of range should be a positive number: ${expr}`);
  for (let i = start; i <= end; i += step) out.add(i);
  return star;
}

function getField(field: string, r: Bounds): { values: Set<number>; star: boolean } {
  const values = new Set<number>();
  let star = false;
  for (const expr of field.split(',').filter((e) => e.length > 0)) {
    if (getRange(expr, r, values)) star = true;
  }
  return { values, star };
}

function all(r: Bounds): Set<number> {
  const s = new Set<number>();
  for (let i = r.min; i <= r.max; i++) s.add(i);
  return s;
}

const durationUnits: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** time.ParseDuration, returning milliseconds or Go's error text. */
export function parseGoDuration(s: string): number | string {
  const orig = s;
  const quoted = JSON.stringify(orig);
  let neg = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return `time: invalid duration ${quoted}`;
  let total = 0;
  while (s.length) {
    const m = /^([0-9]*)(\.[0-9]*)?/.exec(s);
    if (!m || (m[1] === '' && (m[2] === undefined || m[2] === '.')))
      return `time: invalid duration ${quoted}`;
    const numText = m[0];
    s = s.slice(numText.length);
    const u = /^[^0-9.]*/.exec(s)?.[0] ?? '';
    if (u === '') return `time: missing unit in duration ${quoted}`;
    const factor = durationUnits[u];
    if (factor === undefined)
      return `time: unknown unit ${JSON.stringify(u)} in duration ${quoted}`;
    s = s.slice(u.length);
    total += Number(numText) * factor;
  }
  return neg ? -total : total;
}

function parseDescriptor(descriptor: string): CronSchedule {
  const base = {
    minute: new Set([0]),
    hour: new Set([0]),
    dayOfMonth: all(dom),
    month: all(months),
    dayOfWeek: all(dow),
    domStar: true,
    dowStar: true,
  };
  switch (descriptor) {
    case '@yearly':
    case '@annually':
      return { ...base, dayOfMonth: new Set([1]), month: new Set([1]), domStar: false };
    case '@monthly':
      return { ...base, dayOfMonth: new Set([1]), domStar: false };
    case '@weekly':
      return { ...base, dayOfWeek: new Set([0]), dowStar: false };
    case '@daily':
    case '@midnight':
      return base;
    case '@hourly':
      return { ...base, hour: all(hours) };
    default:
  }
  const every = '@every ';
  if (descriptor.startsWith(every)) {
    const d = parseGoDuration(descriptor.slice(every.length));
    if (typeof d === 'string') throw new CronError(`failed to parse duration ${descriptor}: ${d}`);
    return { ...base, minute: all(minutes), hour: all(hours), everyMs: d };
  }
  throw new CronError(`unrecognized descriptor: ${descriptor}`);
}

function isKnownTimeZone(tz: string): boolean {
  if (tz === 'UTC' || tz === '' || tz === 'Local') return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** cron.ParseStandard: the schedule, or the library's error message. */
export function parseCronSchedule(spec: string): CronSchedule | string {
  try {
    return parseStandard(spec);
  } catch (e) {
    if (e instanceof CronError) return e.message;
    throw e;
  }
}

function parseStandard(input: string): CronSchedule {
  let spec = input;
  if (spec.length === 0) throw new CronError('empty spec string');
  let timeZone: string | undefined;
  if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) {
    const i = spec.indexOf(' ');
    const eq = spec.indexOf('=');
    const name = i < 0 ? spec.slice(eq + 1) : spec.slice(eq + 1, i);
    if (!isKnownTimeZone(name))
      throw new CronError(`provided bad location ${name}: unknown time zone ${name}`);
    timeZone = name;
    spec = i < 0 ? '' : spec.slice(i).trim();
  }
  if (spec.startsWith('@')) return { ...parseDescriptor(spec), timeZone };
  const fields = spec.split(/\s+/).filter((f) => f.length > 0);
  if (fields.length !== 5) {
    throw new CronError(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  }
  const minute = getField(fields[0], minutes);
  const hour = getField(fields[1], hours);
  const d = getField(fields[2], dom);
  const month = getField(fields[3], months);
  const w = getField(fields[4], dow);
  return {
    minute: minute.values,
    hour: hour.values,
    dayOfMonth: d.values,
    month: month.values,
    dayOfWeek: w.values,
    domStar: d.star,
    dowStar: w.star,
    timeZone,
  };
}

export { isKnownTimeZone };
