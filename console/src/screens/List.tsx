import { Button, Dialog, Heading, Paragraph, Table, Tag, Textfield } from '@digdir/designsystemet-react';
import { useState, type FormEvent } from 'react';
import type { Session } from '../App';
import { ApiError, api, enc, get, withQuery, type EventList, type EventPage, type Grant } from '../api';
import { FilterField } from '../components/FilterField';
import { filterProblem } from '../components/cesql';
import { parseFields } from '../components/minimise';
import { ProblemAlert, Screen, Show, filterText, useAction, useLoad } from '../components/common';
import { useI18n } from '../i18n';
import { AppLink, useRouter } from '../router';
import { dayStart } from './Access';

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
        {(l) =>
          l.access === 'none' ? (
            <Discovered list={l} />
          ) : (
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
            {manages && <DeleteList list={list} />}
          </>
          )
        }
      </Show>
    </Screen>
  );
}

/** A list this principal may only discover: what it is and which types it declares, and the way to ask for access. */
function Discovered({ list }: { list: EventList }) {
  const { t } = useI18n();
  return (
    <>
      <Paragraph data-testid="discovered-note">{t('list.discoveredNote')}</Paragraph>
      <dl className="facts">
        <dt>{t('lists.titleCol')}</dt>
        <dd>{list.title ?? '–'}</dd>
        <dt>{t('list.description')}</dt>
        <dd>{list.description ?? '–'}</dd>
        <dt>{t('list.declaredTypes')}</dt>
        <dd>{list.types && list.types.length > 0 ? list.types.map((type) => <code key={type}>{type} </code>) : '–'}</dd>
      </dl>
      <div className="actions">
        <Button asChild>
          <AppLink to={`/access?list=${enc(list.name)}`}>{t('list.requestAccess')}</AppLink>
        </Button>
      </div>
    </>
  );
}

/**
 * Delete the list, after a confirmation. The hub refuses (409) while the list
 * has subscriptions; the dialog then says so and offers to delete them too.
 */
function DeleteList({ list }: { list: string }) {
  const { t } = useI18n();
  const { navigate } = useRouter();
  const [open, setOpen] = useState(false);
  const [blocked, setBlocked] = useState<number | null>(null);
  const action = useAction();
  const close = () => {
    setOpen(false);
    setBlocked(null);
    action.clear();
  };
  const remove = async (force: boolean) => {
    const result = await action.run(() => api('DELETE', `/lists/${enc(list)}${force ? '?force=true' : ''}`));
    if (result.ok) {
      close();
      navigate('/');
    } else if (result.error instanceof ApiError && result.error.status === 409) {
      setBlocked(result.error.problem.subscriptions ?? 0);
      action.clear();
    }
  };
  return (
    <section aria-labelledby="delete-title">
      <Heading level={2} data-size="sm" id="delete-title">
        {t('list.deleteTitle')}
      </Heading>
      <Paragraph>{t('list.deleteIntro')}</Paragraph>
      <Button variant="secondary" data-color="danger" onClick={() => setOpen(true)}>
        {t('list.delete')}
      </Button>
      <Dialog open={open} onClose={close} closeButton={t('common.close')} aria-labelledby="delete-dialog-title">
        <Dialog.Block>
          <Heading level={2} data-size="xs" id="delete-dialog-title">
            {t('list.deleteConfirmTitle', { list })}
          </Heading>
        </Dialog.Block>
        <Dialog.Block>
          <Paragraph>{t('list.deleteConfirm')}</Paragraph>
          {blocked !== null && (
            <Paragraph role="alert" data-testid="delete-blocked">
              {t('list.deleteBlocked', { n: blocked })} {t('list.deleteForceHelp')}
            </Paragraph>
          )}
          <ProblemAlert error={action.error} />
          <div className="actions">
            {blocked === null ? (
              <Button data-color="danger" onClick={() => void remove(false)} loading={action.busy}>
                {t('list.deleteNow', { list })}
              </Button>
            ) : (
              <Button data-color="danger" onClick={() => void remove(true)} loading={action.busy}>
                {t('list.deleteForce')}
              </Button>
            )}
            <Button variant="secondary" onClick={close}>
              {t('common.cancel')}
            </Button>
          </div>
        </Dialog.Block>
      </Dialog>
    </section>
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
  const [editing, setEditing] = useState<Grant | null>(null);
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
                      <Button variant="tertiary" data-size="sm" aria-label={t('grants.changeFor', { principal: g.principal })} onClick={() => setEditing(g)}>
                        {t('grants.change')}
                      </Button>
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
      {editing && (
        <GrantEditor
          key={editing.id}
          grant={editing}
          onDone={(changed) => {
            setEditing(null);
            if (changed) loaded.reload();
          }}
        />
      )}
    </section>
  );
}

/** A date (YYYY-MM-DD) in the reader's time zone for an RFC 3339 time: the day a grant's end falls on. */
const localDay = (iso: string | null | undefined): string => {
  if (!iso) return '';
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
};

/**
 * Change a grant (PATCH /grants/{id}): narrow its filter or attributes, or
 * set or move its end. Only what was changed is sent; the hub puts it in
 * force at once (the consumer's streams reopen under the new grant).
 */
function GrantEditor({ grant, onDone }: { grant: Grant; onDone(changed: boolean): void }) {
  const { t } = useI18n();
  const [filter, setFilter] = useState(filterText(grant.filter));
  const [fields, setFields] = useState(grant.fields?.join(', ') ?? '');
  const [ends, setEnds] = useState(localDay(grant.expiresAt));
  const action = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const change: Record<string, unknown> = {};
    if (filter.trim() !== filterText(grant.filter)) change.filter = filter.trim() || null;
    if (fields !== (grant.fields?.join(', ') ?? '')) change.fields = parseFields(fields) ?? null;
    if (ends !== localDay(grant.expiresAt)) change.expiresAt = ends ? dayStart(ends) : null;
    if (Object.keys(change).length === 0) return onDone(false);
    const result = await action.run(() => api('PATCH', `/grants/${enc(grant.id)}`, change));
    if (result.ok) onDone(true);
  };
  return (
    <section aria-labelledby="grant-edit-title" className="review">
      <Heading level={3} data-size="xs" id="grant-edit-title">
        {t('grants.changeTitle', { principal: grant.principal })}
      </Heading>
      <form onSubmit={(e) => void submit(e)} className="form" aria-labelledby="grant-edit-title">
        <FilterField label={t('grants.filter')} description={t('grants.filterHelp')} value={filter} onChange={setFilter} problem={filterProblem(action.error)} />
        <Textfield label={t('grants.fields')} description={t('approvals.fieldsHelp')} value={fields} onChange={(e) => setFields(e.target.value)} />
        <Textfield label={t('approvals.expires')} description={t('grants.expiresHelp')} type="date" value={ends} onChange={(e) => setEnds(e.target.value)} />
        <ProblemAlert error={action.error} />
        <div className="actions">
          <Button type="submit" loading={action.busy}>
            {t('grants.save')}
          </Button>
          <Button variant="secondary" onClick={() => onDone(false)}>
            {t('common.cancel')}
          </Button>
        </div>
      </form>
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
