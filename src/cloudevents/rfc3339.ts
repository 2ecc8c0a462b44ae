/**
 * RFC 3339 `date-time` checking. Nothing is reformatted: the caller keeps the
 * original string, this only says whether it is valid.
 */

// full-date "T" full-time; "T" and "Z" may be lower case (RFC 3339 §5.6 note).
// Fractional seconds of any length.
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

const DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/**
 * Returns undefined when `s` is a valid RFC 3339 date-time, otherwise a short
 * reason. Checks real calendar dates (leap years), hour 00-23, minute 00-59,
 * second 00-59 (60 only for a leap second, i.e. at 23:59:60 UTC), and offsets
 * within -23:59..+23:59.
 */
export function rfc3339Problem(s: string): string | undefined {
  const m = DATE_TIME.exec(s);
  if (m === null) return 'not of the form YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)';
  const year = +m[1]!;
  const month = +m[2]!;
  const day = +m[3]!;
  const hour = +m[4]!;
  const minute = +m[5]!;
  const second = +m[6]!;
  if (month < 1 || month > 12) return `month ${m[2]} does not exist`;
  const maxDay = month === 2 && isLeapYear(year) ? 29 : DAYS[month]!;
  if (day < 1 || day > maxDay) return `day ${m[3]} does not exist in ${m[1]}-${m[2]}`;
  if (hour > 23) return `hour ${m[4]} is out of range 00-23`;
  if (minute > 59) return `minute ${m[5]} is out of range 00-59`;
  let offset = 0;
  if (m[7] !== undefined) {
    const oh = +m[8]!;
    const om = +m[9]!;
    if (oh > 23) return `offset hour ${m[8]} is out of range 00-23`;
    if (om > 59) return `offset minute ${m[9]} is out of range 00-59`;
    offset = (m[7] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  if (second > 60) return `second ${m[6]} is out of range 00-59`;
  if (second === 60) {
    const utcMinute = (((hour * 60 + minute - offset) % 1440) + 1440) % 1440;
    if (utcMinute !== 23 * 60 + 59) return 'second 60 is only valid for a leap second at 23:59:60 UTC';
  }
  return undefined;
}

export function isRfc3339Timestamp(s: string): boolean {
  return rfc3339Problem(s) === undefined;
}
