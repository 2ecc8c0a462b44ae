import { Button, Heading, Paragraph, Table, Tag, Textfield } from '@digdir/designsystemet-react';
import { useState, type FormEvent } from 'react';
import type { Session } from '../App';
import { api, enc, get, type AccessRequest, type Grant } from '../api';
import { FilterField } from '../components/FilterField';
import { filterProblem } from '../components/cesql';
import { ProblemAlert, Screen, Show, filterText, useAction, useLoad } from '../components/common';
import { useI18n } from '../i18n';
import { useRouter } from '../router';
import { parseFields } from '../components/minimise';

/** A date field's value (YYYY-MM-DD) as the start of that day in the reader's time zone, RFC 3339. */
export const dayStart = (date: string): string => new Date(`${date}T00:00:00`).toISOString();

/** The consumer's side: ask for access by describing the need, follow each request, see the grants held. */
export function AccessScreen({ session }: { session: Session }) {
  const { t, formatDate } = useI18n();
  const requests = useLoad(() => get<{ requests: AccessRequest[] }>('/access-requests'), []);
  const grants = useLoad(() => get<{ grants: Grant[] }>('/grants'), []);
  const mine = (requests.data?.requests ?? []).filter((r) => r.principal === session.principal);
  return (
    <Screen title={t('access.title')}>
      <RequestForm onRequested={requests.reload} />
      <section aria-labelledby="my-requests">
        <Heading level={2} data-size="sm" id="my-requests">
          {t('access.requests')}
        </Heading>
        <Show loaded={requests}>
          {() =>
            mine.length === 0 ? (
              <Paragraph>{t('access.noRequests')}</Paragraph>
            ) : (
              <Table className="wide">
                <caption className="ds-sr-only">{t('access.requests')}</caption>
                <Table.Head>
                  <Table.Row>
                    <Table.HeaderCell>{t('subs.list')}</Table.HeaderCell>
                    <Table.HeaderCell>{t('access.purpose')}</Table.HeaderCell>
                    <Table.HeaderCell>{t('access.state')}</Table.HeaderCell>
                    <Table.HeaderCell>{t('access.asked')}</Table.HeaderCell>
                    <Table.HeaderCell>{t('access.reason')}</Table.HeaderCell>
                  </Table.Row>
                </Table.Head>
                <Table.Body>
                  {mine.map((r) => (
                    <Table.Row key={r.id}>
                      <Table.Cell>{r.list}</Table.Cell>
                      <Table.Cell>{r.purpose}</Table.Cell>
                      <Table.Cell>
                        <RequestState status={r.status} />
                      </Table.Cell>
                      <Table.Cell>{formatDate(r.createdAt)}</Table.Cell>
                      <Table.Cell>{r.reason ?? ''}</Table.Cell>
                    </Table.Row>
                  ))}
                </Table.Body>
              </Table>
            )
          }
        </Show>
      </section>
      <section aria-labelledby="my-grants">
        <Heading level={2} data-size="sm" id="my-grants">
          {t('access.grants')}
        </Heading>
        <Show loaded={grants}>
          {({ grants }) => {
            const held = grants.filter((g) => g.principal === session.principal);
            return held.length === 0 ? (
              <Paragraph>{t('access.noGrants')}</Paragraph>
            ) : (
              <Table className="wide">
                <caption className="ds-sr-only">{t('access.grants')}</caption>
                <Table.Head>
                  <Table.Row>
                    <Table.HeaderCell>{t('subs.list')}</Table.HeaderCell>
                    <Table.HeaderCell>{t('grants.filter')}</Table.HeaderCell>
                    <Table.HeaderCell>{t('grants.fields')}</Table.HeaderCell>
                    <Table.HeaderCell>{t('grants.expires')}</Table.HeaderCell>
                  </Table.Row>
                </Table.Head>
                <Table.Body>
                  {held.map((g) => (
                    <Table.Row key={g.id}>
                      <Table.Cell>{g.list}</Table.Cell>
                      <Table.Cell>
                        <code>{filterText(g.filter) || t('grants.allEvents')}</code>
                      </Table.Cell>
                      <Table.Cell>{g.fields === null ? t('grants.allFields') : g.fields.join(', ')}</Table.Cell>
                      <Table.Cell>{g.expiresAt ? formatDate(g.expiresAt) : t('grants.noEnd')}</Table.Cell>
                    </Table.Row>
                  ))}
                </Table.Body>
              </Table>
            );
          }}
        </Show>
      </section>
    </Screen>
  );
}

export function RequestState({ status }: { status: AccessRequest['status'] }) {
  const { t } = useI18n();
  const color = status === 'approved' ? 'success' : status === 'denied' ? 'danger' : 'info';
  return <Tag data-color={color}>{t(`access.status.${status}`)}</Tag>;
}

function RequestForm({ onRequested }: { onRequested(): void }) {
  const { t } = useI18n();
  const { location } = useRouter();
  const [list, setList] = useState(location.query.get('list') ?? '');
  const [purpose, setPurpose] = useState('');
  const [filter, setFilter] = useState('');
  const [legalBasis, setLegalBasis] = useState('');
  const [fields, setFields] = useState('');
  const [until, setUntil] = useState('');
  const [sent, setSent] = useState(false);
  const action = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSent(false);
    const f = parseFields(fields);
    const wish = {
      purpose,
      ...(legalBasis.trim() && { legalBasis: legalBasis.trim() }),
      ...(filter.trim() && { filter: filter.trim() }),
      ...(f && { fields: f }),
      ...(until && { until: dayStart(until) }),
    };
    const result = await action.run(() => api('POST', `/lists/${enc(list.trim())}/access-requests`, wish));
    if (result.ok) {
      setSent(true);
      setPurpose('');
      setFilter('');
      setLegalBasis('');
      setFields('');
      setUntil('');
      onRequested();
    }
  };
  return (
    <section aria-labelledby="ask-title">
      <Heading level={2} data-size="md" id="ask-title">
        {t('access.ask')}
      </Heading>
      <form onSubmit={(e) => void submit(e)} className="form">
        <Textfield label={t('subs.list')} value={list} onChange={(e) => setList(e.target.value)} required />
        <Textfield label={t('access.purpose')} description={t('access.purposeHelp')} multiline rows={3} value={purpose} onChange={(e) => setPurpose(e.target.value)} required minLength={3} />
        <Textfield label={t('access.legalBasis')} description={t('access.legalBasisHelp')} value={legalBasis} onChange={(e) => setLegalBasis(e.target.value)} />
        <FilterField label={t('access.wishedFilter')} description={t('access.wishedFilterHelp')} value={filter} onChange={setFilter} problem={filterProblem(action.error)} />
        <Textfield label={t('access.wishedFields')} description={t('approvals.fieldsHelp')} value={fields} onChange={(e) => setFields(e.target.value)} />
        <Textfield label={t('access.until')} description={t('access.untilHelp')} type="date" value={until} onChange={(e) => setUntil(e.target.value)} />
        <ProblemAlert error={action.error} />
        {sent && (
          <Paragraph role="status" data-testid="request-sent">
            {t('access.sent')}
          </Paragraph>
        )}
        <Button type="submit" loading={action.busy}>
          {t('access.send')}
        </Button>
      </form>
    </section>
  );
}
