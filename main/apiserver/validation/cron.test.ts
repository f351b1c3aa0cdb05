import { describe, it, expect } from 'vitest';
import { parseCronSchedule, parseGoDuration, type CronSchedule } from './cron.ts';

function ok(spec: string): CronSchedule {
  const r = parseCronSchedule(spec);
  if (typeof r === 'string') throw new Error(r);
  return r;
}

describe('cron schedules', () => {
  it('parses standard fields, ranges, steps and names', () => {
    const s = ok('*/15 9-17 * jan-mar mon,fri');
    expect([...s.minute]).toEqual([0, 15, 30, 45]);
    expect([...s.hour]).toEqual([9, 10, 11, 12, 13, 14, 15, 16, 17]);
    expect([...s.month]).toEqual([1, 2, 3]);
    expect([...s.dayOfWeek]).toEqual([1, 5]);
    expect(s.domStar).toBe(true);
    expect(s.dowStar).toBe(false);
  });

  it('accepts descriptors', () => {
    expect([...ok('@hourly').hour]).toHaveLength(24);
    expect([...ok('@daily').minute]).toEqual([0]);
    expect([...ok('@weekly').dayOfWeek]).toEqual([0]);
    expect(ok('@every 1h30m').everyMs).toBe(5_400_000);
  });

  it('gives robfig/cron error messages', () => {
    expect(parseCronSchedule('')).toBe('empty spec string');
    expect(parseCronSchedule('* * *')).toBe('expected exactly 5 fields, found 3: [* * *]');
    expect(parseCronSchedule('61 * * * *')).toBe('end of range (61) above maximum (59): 61');
    expect(parseCronSchedule('* * 0 * *')).toBe('beginning of range (0) below minimum (1): 0');
    expect(parseCronSchedule('x * * * *')).toBe(
      'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax',
    );
    expect(parseCronSchedule('5-1 * * * *')).toBe(
      'beginning of range (5) beyond end of range (1): 5-1',
    );
    expect(parseCronSchedule('*/0 * * * *')).toBe('step of range should be a positive number: */0');
    expect(parseCronSchedule('@fortnightly')).toBe('unrecognized descriptor: @fortnightly');
    expect(parseCronSchedule('CRON_TZ=Nowhere/City * * * * *')).toBe(
      'provided bad location Nowhere/City: unknown time zone Nowhere/City',
    );
  });

  it('parses Go durations', () => {
    expect(parseGoDuration('90s')).toBe(90_000);
    expect(parseGoDuration('5')).toBe('time: missing unit in duration "5"');
    expect(parseGoDuration('5x')).toBe('time: unknown unit "x" in duration "5x"');
  });
});
