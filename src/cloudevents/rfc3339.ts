/**
 * RFC 3339 `date-time`: the one checker for every timestamp the hub takes
 * (event `time`, `since`/`until`, `expiresAt`, ...). Nothing is reformatted:
 * the caller keeps the original string; this says whether it is valid and,
 * for query times, which instant it names.
 */

// full-date "T" full-time; "T" and "Z" may be lower case (RFC 3339 §5.6 note).
// Fractional seconds of any length.
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

const DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

type Parsed = { ms: number; problem?: undefined } | { problem: string };

/**
 * Checks real calendar dates (leap years), hour 00-23, minute 00-59, second
 * 00-59 (60 only for a leap second, i.e. at 23:59:60 UTC), and offsets within
 * -23:59..+23:59; a valid time also gives its instant (epoch ms, a leap
 * second counting as the last millisecond of 23:59:59).
 */
function parse(s: string, instant: boolean): Parsed {
  const m = DATE_TIME.exec(s);
  if (m === null) return { problem: 'not of the form YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)' };
  const year = +m[1]!;
  const month = +m[2]!;
  const day = +m[3]!;
  const hour = +m[4]!;
  const minute = +m[5]!;
  const second = +m[6]!;
  if (month < 1 || month > 12) return { problem: `month ${m[2]} does not exist` };
  const maxDay = month === 2 && isLeapYear(year) ? 29 : DAYS[month]!;
  if (day < 1 || day > maxDay) return { problem: `day ${m[3]} does not exist in ${m[1]}-${m[2]}` };
  if (hour > 23) return { problem: `hour ${m[4]} is out of range 00-23` };
  if (minute > 59) return { problem: `minute ${m[5]} is out of range 00-59` };
  let offset = 0;
  if (m[8] !== undefined) {
    const oh = +m[9]!;
    const om = +m[10]!;
    if (oh > 23) return { problem: `offset hour ${m[9]} is out of range 00-23` };
    if (om > 59) return { problem: `offset minute ${m[10]} is out of range 00-59` };
    offset = (m[8] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  if (second > 60) return { problem: `second ${m[6]} is out of range 00-59` };
  if (second === 60) {
    const utcMinute = (((hour * 60 + minute - offset) % 1440) + 1440) % 1440;
    if (utcMinute !== 23 * 60 + 59) return { problem: 'second 60 is only valid for a leap second at 23:59:60 UTC' };
  }
  // Validating event times is on the publish hot path: the instant only when asked for.
  if (!instant) return { ms: NaN };
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: years 0-99 are years, not 1900-1999.
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, Math.min(second, 59), second === 60 ? 999 : +(m[7] ?? '').padEnd(3, '0').slice(0, 3));
  return { ms: date.getTime() - offset * 60_000 };
}

/** Returns undefined when `s` is a valid RFC 3339 date-time, otherwise a short reason. */
export function rfc3339Problem(s: string): string | undefined {
  return parse(s, false).problem;
}

export function isRfc3339Timestamp(s: string): boolean {
  return rfc3339Problem(s) === undefined;
}

/** The instant of a valid RFC 3339 date-time as epoch milliseconds, or the reason it is not valid. */
export function rfc3339Millis(s: string): { ms: number } | { problem: string } {
  const p = parse(s, true);
  return p.problem === undefined ? { ms: p.ms } : { problem: p.problem };
}
