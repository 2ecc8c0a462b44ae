import { Heading, Paragraph, Table } from '@digdir/designsystemet-react';
import { get, withQuery } from '../api';
import { Show, useLoad } from '../components/common';
import { useI18n } from '../i18n';

interface UsageRow {
  day: string;
  principal: string;
  list: string;
  channel: string;
  events: number;
}

/** How far back the usage table looks. */
const DAYS = 30;

/** Events delivered per day, consumer, list and channel (GET /usage): the basis of volume-based agreements. */
export function Usage() {
  const { t, formatNumber } = useI18n();
  const usage = useLoad(() => get<{ usage: UsageRow[] }>(withQuery('/usage', { since: new Date(Date.now() - DAYS * 86_400_000).toISOString() })), []);
  return (
    <section aria-labelledby="usage-title">
      <Heading level={2} data-size="sm" id="usage-title">
        {t('usage.title')}
      </Heading>
      <Paragraph>{t('usage.intro', { days: DAYS })}</Paragraph>
      <Show loaded={usage}>
        {({ usage }) =>
          usage.length === 0 ? (
            <Paragraph>{t('usage.none')}</Paragraph>
          ) : (
            <Table zebra className="wide" data-testid="usage">
              <caption className="ds-sr-only">{t('usage.title')}</caption>
              <Table.Head>
                <Table.Row>
                  <Table.HeaderCell>{t('usage.day')}</Table.HeaderCell>
                  <Table.HeaderCell>{t('grants.principal')}</Table.HeaderCell>
                  <Table.HeaderCell>{t('subs.list')}</Table.HeaderCell>
                  <Table.HeaderCell>{t('usage.channel')}</Table.HeaderCell>
                  <Table.HeaderCell>{t('usage.events')}</Table.HeaderCell>
                </Table.Row>
              </Table.Head>
              <Table.Body>
                {[...usage].reverse().map((u) => (
                  <Table.Row key={`${u.day} ${u.principal} ${u.list} ${u.channel}`}>
                    <Table.Cell>{u.day}</Table.Cell>
                    <Table.Cell>{u.principal}</Table.Cell>
                    <Table.Cell>{u.list}</Table.Cell>
                    <Table.Cell>{u.channel}</Table.Cell>
                    <Table.Cell>{formatNumber(u.events)}</Table.Cell>
                  </Table.Row>
                ))}
              </Table.Body>
            </Table>
          )
        }
      </Show>
    </section>
  );
}
