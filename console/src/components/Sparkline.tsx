import { get, withQuery, enc } from '../api';
import { useI18n } from '../i18n';
import { useLoad } from './common';

const MINUTES = 60;

/** Events per minute over the last hour that this principal may read (counts only, so not an audited read). */
export function ActivitySparkline({ list, head }: { list: string; head: string }) {
  const { t, formatNumber } = useI18n();
  const counts = useLoad(async () => (await get<{ perMinute: number[] }>(withQuery(`/lists/${enc(list)}/activity`, { minutes: MINUTES }))).perMinute, [list, head]);
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
