import { Button, Heading, Paragraph, Table, Tag } from '@digdir/designsystemet-react';
import type { Session } from '../App';
import { ApiError, api, enc, get, withQuery, type EventList, type EventPage, type Grant } from '../api';
import { ProblemAlert, Screen, Show, filterText, useAction, useLoad } from '../components/common';
import { useI18n } from '../i18n';
import { AppLink } from '../router';

/** How many recent events the "seen" summaries look at. */
const RECENT = 200;

/** One list: what it is, what flows through it lately, and (for its owner) who may read and publish. */
export function ListScreen({ list, session }: { list: string; session: Session }) {
  const { t, formatNumber } = useI18n();
  const info = useLoad(() => get<EventList>(`/lists/${enc(list)}`), [list]);
  const manages = session.admin || info.data?.owner === session.principal;
  return (
    <Screen title={t('list.title', { list })}>
      <Show loaded={info}>
        {(l) => (
          <>
            <dl className="facts">
              <dt>{t('lists.titleCol')}</dt>
              <dd>{l.title ?? '–'}</dd>
              <dt>{t('list.description')}</dt>
              <dd>{l.description ?? '–'}</dd>
              <dt>{t('lists.head')}</dt>
              <dd>{formatNumber(l.head)}</dd>
              <dt>{t('lists.owner')}</dt>
              <dd>{l.owner ?? '–'}</dd>
            </dl>
            <div className="actions">
              <Button asChild>
                <AppLink to={`/lists/${enc(list)}/tail`}>{t('list.tail')}</AppLink>
              </Button>
              <Button asChild variant="secondary">
                <AppLink to={`/subscriptions?list=${enc(list)}`}>{t('list.subscribe')}</AppLink>
              </Button>
              {!manages && (
                <Button asChild variant="secondary">
                  <AppLink to={`/access?list=${enc(list)}`}>{t('list.requestAccess')}</AppLink>
                </Button>
              )}
            </div>
            <RecentSummary list={list} head={l.head} />
            {manages && <Grants list={list} />}
            {manages && <Publishers list={list} />}
          </>
        )}
      </Show>
    </Screen>
  );
}

/** Event types and sources among the latest events this principal may read. */
function RecentSummary({ list, head }: { list: string; head: string }) {
  const { t, formatNumber } = useI18n();
  const recent = useLoad(async () => {
    const after = BigInt(head) > BigInt(RECENT) ? String(BigInt(head) - BigInt(RECENT)) : '0';
    const page = await get<EventPage>(withQuery(`/lists/${enc(list)}/events`, { after, limit: RECENT }));
    const count = (attr: 'type' | 'source') => {
      const m = new Map<string, number>();
      for (const e of page.events) if (typeof e[attr] === 'string') m.set(e[attr], (m.get(e[attr]) ?? 0) + 1);
      return [...m].sort((a, b) => b[1] - a[1]);
    };
    return { types: count('type'), sources: count('source'), n: page.events.length };
  }, [list, head]);
  if (recent.error instanceof ApiError && recent.error.status === 403) return <Paragraph>{t('list.cannotRead')}</Paragraph>;
  return (
    <Show loaded={recent}>
      {(r) => (
        <div className="two-columns">
          {(['types', 'sources'] as const).map((k) => (
            <section key={k} aria-labelledby={`seen-${k}`}>
              <Heading level={2} data-size="sm" id={`seen-${k}`}>
                {t(k === 'types' ? 'list.typesSeen' : 'list.sourcesSeen', { n: formatNumber(r.n) })}
              </Heading>
              {r[k].length === 0 ? (
                <Paragraph>{t('list.nothingSeen')}</Paragraph>
              ) : (
                <ul className="plain">
                  {r[k].map(([name, n]) => (
                    <li key={name}>
                      <code>{name}</code> <Tag data-size="sm">{formatNumber(n)}</Tag>
                    </li>
                  ))}
                </ul>
              )}
            </section>
          ))}
        </div>
      )}
    </Show>
  );
}

/** The consumers who may read this list, each with the filter and attributes of their grant. */
export function Grants({ list }: { list: string }) {
  const { t, formatDate } = useI18n();
  const loaded = useLoad(() => get<{ grants: Grant[] }>(`/lists/${enc(list)}/grants`), [list]);
  const revoke = useAction();
  return (
    <section aria-labelledby="grants-title">
      <Heading level={2} data-size="sm" id="grants-title">
        {t('grants.title')}
      </Heading>
      <ProblemAlert error={revoke.error} />
      <Show loaded={loaded}>
        {({ grants }) =>
          grants.length === 0 ? (
            <Paragraph>{t('grants.none')}</Paragraph>
          ) : (
            <Table className="wide">
              <caption className="ds-sr-only">{t('grants.title')}</caption>
              <Table.Head>
                <Table.Row>
                  <Table.HeaderCell>{t('grants.principal')}</Table.HeaderCell>
                  <Table.HeaderCell>{t('grants.filter')}</Table.HeaderCell>
                  <Table.HeaderCell>{t('grants.fields')}</Table.HeaderCell>
                  <Table.HeaderCell>{t('grants.created')}</Table.HeaderCell>
                  <Table.HeaderCell>{t('grants.expires')}</Table.HeaderCell>
                  <Table.HeaderCell>
                    <span className="ds-sr-only">{t('common.actions')}</span>
                  </Table.HeaderCell>
                </Table.Row>
              </Table.Head>
              <Table.Body>
                {grants.map((g) => (
                  <Table.Row key={g.id}>
                    <Table.Cell>{g.principal}</Table.Cell>
                    <Table.Cell>
                      <code>{filterText(g.filter) || t('grants.allEvents')}</code>
                    </Table.Cell>
                    <Table.Cell>{g.fields === null ? t('grants.allFields') : g.fields.join(', ')}</Table.Cell>
                    <Table.Cell>{formatDate(g.createdAt)}</Table.Cell>
                    <Table.Cell>{g.expiresAt ? formatDate(g.expiresAt) : t('grants.noEnd')}</Table.Cell>
                    <Table.Cell>
                      <Button
                        variant="tertiary"
                        data-size="sm"
                        data-color="danger"
                        aria-label={t('grants.revokeFor', { principal: g.principal })}
                        onClick={() => void revoke.run(() => api('DELETE', `/grants/${g.id}`)).then(loaded.reload)}
                      >
                        {t('grants.revoke')}
                      </Button>
                    </Table.Cell>
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

function Publishers({ list }: { list: string }) {
  const { t } = useI18n();
  const publishers = useLoad(() => get<{ publishers: { principal: string; source: string | null }[] }>(`/lists/${enc(list)}/publishers`), [list]);
  return (
    <section aria-labelledby="publishers-title">
      <Heading level={2} data-size="sm" id="publishers-title">
        {t('publishers.title')}
      </Heading>
      <Show loaded={publishers}>
        {({ publishers }) =>
          publishers.length === 0 ? (
            <Paragraph>{t('publishers.none')}</Paragraph>
          ) : (
            <ul className="plain">
              {publishers.map((p) => (
                <li key={`${p.principal} ${p.source}`}>
                  {p.principal} — {p.source === null ? t('publishers.anySource') : <code>{p.source}</code>}
                </li>
              ))}
            </ul>
          )
        }
      </Show>
    </section>
  );
}
