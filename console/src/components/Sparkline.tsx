import { get, withQuery, enc, type EventPage } from '../api';
import { useI18n } from '../i18n';
import { useLoad } from './common';

const MINUTES = 60;
/** The most recent events read for the picture: a busier list shows the last part of the hour. */
const SAMPLE = 1000;

/** Events per minute over the last hour, from the events this principal may read (through the public read). */
export function ActivitySparkline({ list, head }: { list: string; head: string }) {
  const { t, formatNumber } = useI18n();
  const counts = useLoad(async () => {
    const now = Date.now();
    const after = BigInt(head) > BigInt(SAMPLE) ? String(BigInt(head) - BigInt(SAMPLE)) : '0';
    const page = await get<EventPage>(withQuery(`/lists/${enc(list)}/events`, { after, limit: SAMPLE, since: new Date(now - MINUTES * 60_000).toISOString() }));
    const buckets = new Array<number>(MINUTES).fill(0);
    for (const e of page.events) {
      const age = Math.floor((now - Date.parse(e.heroldtime)) / 60_000);
      if (age >= 0 && age < MINUTES) buckets[MINUTES - 1 - age]++;
    }
    return buckets;
  }, [list, head]);
  if (counts.error) return <span>{t('lists.noActivity')}</span>;
  if (!counts.data) return null;
  const total = counts.data.reduce((a, b) => a + b, 0);
  const max = Math.max(1, ...counts.data);
  const w = 120;
  const h = 24;
  const points = counts.data.map((c, i) => `${((i / (MINUTES - 1)) * w).toFixed(1)},${(h - (c / max) * (h - 2) - 1).toFixed(1)}`).join(' ');
  const label = t('lists.activity', { count: formatNumber(total), perMinute: formatNumber(Math.round((total / MINUTES) * 10) / 10) });
  return (
    <svg className="sparkline" width={w} height={h} viewBox={`0 0 ${w} ${h}`} role="img" aria-label={label}>
      <title>{label}</title>
      <polyline points={points} fill="none" stroke="currentColor" strokeWidth="1.5" />
    </svg>
  );
}
