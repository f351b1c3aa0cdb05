import { describe, expect, it } from 'vitest';
import { humanDuration, shortHumanDuration, timestampSince } from './duration.ts';

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

describe('humanDuration', () => {
  it('keeps two to three significant figures like apimachinery', () => {
    const cases: [number, string][] = [
      [0, '0s'],
      [-1500, '0s'],
      [-2500, '<invalid>'],
      [59 * s, '59s'],
      [119 * s, '119s'],
      [2 * m, '2m'],
      [3 * m + 20 * s, '3m20s'],
      [9 * m + 59 * s, '9m59s'],
      [10 * m + 30 * s, '10m'],
      [179 * m, '179m'],
      [3 * h, '3h'],
      [3 * h + 5 * m, '3h5m'],
      [7 * h + 59 * m, '7h59m'],
      [8 * h + 30 * m, '8h'],
      [47 * h, '47h'],
      [48 * h, '2d'],
      [2 * d + 5 * h, '2d5h'],
      [7 * d + 23 * h, '7d23h'],
      [8 * d + 5 * h, '8d'],
      [729 * d, '729d'],
      [730 * d, '2y'],
      [740 * d, '2y10d'],
      [8 * 365 * d + 40 * d, '8y'],
    ];
    for (const [ms, expected] of cases) expect(humanDuration(ms), `${ms}ms`).toBe(expected);
  });

  it('uses a single unit in the short form', () => {
    expect(shortHumanDuration(59 * s)).toBe('59s');
    expect(shortHumanDuration(60 * s)).toBe('1m');
    expect(shortHumanDuration(59 * m)).toBe('59m');
    expect(shortHumanDuration(23 * h + 59 * m)).toBe('23h');
    expect(shortHumanDuration(364 * d)).toBe('364d');
    expect(shortHumanDuration(400 * d)).toBe('1y');
    expect(shortHumanDuration(-3 * s)).toBe('<invalid>');
  });

  it('ages timestamps against a fixed now, <unknown> when unset', () => {
    const now = Date.parse('2025-06-01T12:00:00Z');
    expect(timestampSince('2025-06-01T11:56:40Z', now)).toBe('3m20s');
    expect(timestampSince(undefined, now)).toBe('<unknown>');
    expect(timestampSince('', now)).toBe('<unknown>');
  });
});
