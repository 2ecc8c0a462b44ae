import { Button, Heading, Paragraph, Table } from '@digdir/designsystemet-react';
import type { Session } from '../App';
import { enc, get, type EventList } from '../api';
import { Screen, Show, useLoad } from '../components/common';
import { ActivitySparkline } from '../components/Sparkline';
import { useI18n } from '../i18n';
import { AppLink } from '../router';

/** The lists this principal may see, with their heads, activity and owners. */
export function ListsScreen({ session }: { session: Session }) {
  const { t, formatNumber } = useI18n();
  const lists = useLoad(() => get<{ lists: EventList[] }>('/lists'), []);
  return (
    <Screen title={t('lists.title')}>
      <Show loaded={lists}>
        {({ lists: all }) => {
          const lists = all.filter((l) => l.access !== 'none');
          const discovered = all.filter((l) => l.access === 'none');
          return (
          <>
          {lists.length === 0 ? (
            <Paragraph>{session.admin ? t('lists.noneAdmin') : t('lists.none')}</Paragraph>
          ) : (
            <Table zebra className="wide">
              <caption className="ds-sr-only">{t('lists.caption')}</caption>
              <Table.Head>
                <Table.Row>
                  <Table.HeaderCell>{t('lists.name')}</Table.HeaderCell>
                  <Table.HeaderCell>{t('lists.titleCol')}</Table.HeaderCell>
                  <Table.HeaderCell>{t('lists.head')}</Table.HeaderCell>
                  <Table.HeaderCell>{t('lists.activityCol')}</Table.HeaderCell>
                  <Table.HeaderCell>{t('lists.owner')}</Table.HeaderCell>
                </Table.Row>
              </Table.Head>
              <Table.Body>
                {lists.map((l) => (
                  <Table.Row key={l.name}>
                    <Table.Cell>
                      <AppLink to={`/lists/${encodeURIComponent(l.name)}`}>{l.name}</AppLink>
                    </Table.Cell>
                    <Table.Cell>{l.title ?? ''}</Table.Cell>
                    <Table.Cell className="num" data-testid={`head-${l.name}`}>
                      {formatNumber(l.head)}
                    </Table.Cell>
                    <Table.Cell>
                      <ActivitySparkline list={l.name} head={l.head} />
                    </Table.Cell>
                    <Table.Cell>{l.owner ?? '–'}</Table.Cell>
                  </Table.Row>
                ))}
              </Table.Body>
            </Table>
          )}
          {discovered.length > 0 && <Discoverable lists={discovered} />}
          </>
          );
        }}
      </Show>
    </Screen>
  );
}

/** Lists this principal may find but not read (`discoverable`): what they are, and the way to ask for access. */
function Discoverable({ lists }: { lists: EventList[] }) {
  const { t } = useI18n();
  return (
    <section aria-labelledby="discoverable-title">
      <Heading level={2} data-size="sm" id="discoverable-title">
        {t('lists.discoverable')}
      </Heading>
      <Paragraph>{t('lists.discoverableIntro')}</Paragraph>
      <Table className="wide" data-testid="discoverable">
        <caption className="ds-sr-only">{t('lists.discoverable')}</caption>
        <Table.Head>
          <Table.Row>
            <Table.HeaderCell>{t('lists.name')}</Table.HeaderCell>
            <Table.HeaderCell>{t('lists.titleCol')}</Table.HeaderCell>
            <Table.HeaderCell>{t('list.description')}</Table.HeaderCell>
            <Table.HeaderCell>{t('lists.declaredTypes')}</Table.HeaderCell>
            <Table.HeaderCell>
              <span className="ds-sr-only">{t('common.actions')}</span>
            </Table.HeaderCell>
          </Table.Row>
        </Table.Head>
        <Table.Body>
          {lists.map((l) => (
            <Table.Row key={l.name}>
              <Table.Cell>
                <AppLink to={`/lists/${enc(l.name)}`}>{l.name}</AppLink>
              </Table.Cell>
              <Table.Cell>{l.title ?? ''}</Table.Cell>
              <Table.Cell>{l.description ?? ''}</Table.Cell>
              <Table.Cell>{(l.types ?? []).join(', ') || '–'}</Table.Cell>
              <Table.Cell>
                <Button asChild variant="secondary" data-size="sm">
                  <AppLink to={`/access?list=${enc(l.name)}`} aria-label={t('lists.askFor', { list: l.name })}>
                    {t('list.requestAccess')}
                  </AppLink>
                </Button>
              </Table.Cell>
            </Table.Row>
          ))}
        </Table.Body>
      </Table>
    </section>
  );
}
