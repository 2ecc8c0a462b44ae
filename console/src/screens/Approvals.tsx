import { Button, Card, Heading, Paragraph, Textfield } from '@digdir/designsystemet-react';
import { useState } from 'react';
import { api, enc, get, withQuery, type AccessRequest, type EventList, type EventPage } from '../api';
import { FilterField } from '../components/FilterField';
import { filterProblem } from '../components/cesql';
import { minimise, parseFields } from '../components/minimise';
import { ProblemAlert, Screen, Show, filterText, useAction, useLoad } from '../components/common';
import { useI18n } from '../i18n';
import { RequestState, dayStart } from './Access';
import { Grants } from './List';

/** An RFC 3339 time as a date field's value (YYYY-MM-DD) in the reader's time zone. */
const localDate = (iso: string): string => {
  const d = new Date(iso);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
};

/** Events the preview shows, and how far back it looks for them. */
const PREVIEW = 20;
const PREVIEW_WINDOW = 1000;

/** The owner's inbox: each request with its purpose; approve as asked or narrowed after a preview, or deny with a reason. */
export function ApprovalsScreen() {
  const { t } = useI18n();
  const requests = useLoad(() => get<{ requests: AccessRequest[] }>('/access-requests'), []);
  const me = useLoad(() => get<{ principal: string }>('/console/session'), []);
  return (
    <Screen title={t('approvals.title')}>
      <Show loaded={requests}>
        {({ requests: all }) => {
          const forMe = all.filter((r) => r.principal !== me.data?.principal);
          const pending = forMe.filter((r) => r.status === 'pending');
          const decided = forMe.filter((r) => r.status !== 'pending');
          const lists = [...new Set(forMe.map((r) => r.list))];
          return (
            <>
              {pending.length === 0 ? <Paragraph>{t('approvals.none')}</Paragraph> : pending.map((r) => <Review key={r.id} request={r} onDecided={requests.reload} />)}
              {decided.length > 0 && (
                <section aria-labelledby="decided-title">
                  <Heading level={2} data-size="sm" id="decided-title">
                    {t('approvals.decided')}
                  </Heading>
                  <ul className="plain">
                    {decided.map((r) => (
                      <li key={r.id}>
                        {r.principal} → {r.list}: <RequestState status={r.status} /> {r.reason ?? ''}
                      </li>
                    ))}
                  </ul>
                </section>
              )}
              {lists.map((l) => (
                // Read again after each decision: an approval adds a grant.
                <Grants key={`${l}:${pending.length}`} list={l} />
              ))}
            </>
          );
        }}
      </Show>
    </Screen>
  );
}

function Review({ request, onDecided }: { request: AccessRequest; onDecided(): void }) {
  const { t, formatDate } = useI18n();
  const [filter, setFilter] = useState(filterText(request.filter));
  const [fields, setFields] = useState(request.fields?.join(', ') ?? '');
  const [ends, setEnds] = useState(request.until ? localDate(request.until) : '');
  const [reason, setReason] = useState('');
  const [preview, setPreview] = useState<Record<string, unknown>[] | null>(null);
  const action = useAction();
  const headingId = `req-${request.id}`;

  /** The latest matching events, read by the owner through the public read and minimised as the grant would. */
  const runPreview = async () => {
    setPreview(null);
    const result = await action.run(async () => {
      const l = await get<EventList>(`/lists/${enc(request.list)}`);
      const after = BigInt(l.head) > BigInt(PREVIEW_WINDOW) ? String(BigInt(l.head) - BigInt(PREVIEW_WINDOW)) : '0';
      const page = await get<EventPage>(withQuery(`/lists/${enc(request.list)}/events`, { after, limit: PREVIEW_WINDOW, filter: filter.trim() || undefined }));
      return page.events.slice(-PREVIEW).map((e) => minimise(e, parseFields(fields)));
    });
    if (result.ok) setPreview(result.value);
  };
  const approve = async () => {
    const f = parseFields(fields);
    const narrowed = { ...(filter.trim() && { filter: filter.trim() }), ...(f && { fields: f }), expiresAt: ends ? dayStart(ends) : null };
    const result = await action.run(() => api('POST', `/access-requests/${request.id}/approve`, narrowed));
    if (result.ok) onDecided();
  };
  const deny = async () => {
    const result = await action.run(() => api('POST', `/access-requests/${request.id}/deny`, { reason }));
    if (result.ok) onDecided();
  };

  return (
    <Card className="review" aria-labelledby={headingId} data-testid="review">
      <Heading level={2} data-size="sm" id={headingId}>
        {t('approvals.request', { principal: request.principal, list: request.list })}
      </Heading>
      <dl className="facts">
        <dt>{t('access.purpose')}</dt>
        <dd>{request.purpose}</dd>
        {request.legalBasis && (
          <>
            <dt>{t('access.legalBasis')}</dt>
            <dd>{request.legalBasis}</dd>
          </>
        )}
        <dt>{t('access.wishedFilter')}</dt>
        <dd>
          <code>{filterText(request.filter) || t('grants.allEvents')}</code>
        </dd>
        <dt>{t('access.wishedFields')}</dt>
        <dd>{request.fields ? request.fields.join(', ') : t('grants.allFields')}</dd>
        <dt>{t('access.until')}</dt>
        <dd>{request.until ? formatDate(request.until) : t('grants.noEnd')}</dd>
        <dt>{t('access.asked')}</dt>
        <dd>{formatDate(request.createdAt)}</dd>
      </dl>
      <FilterField label={t('approvals.filter')} description={t('approvals.filterHelp')} value={filter} onChange={setFilter} problem={filterProblem(action.error)} />
      <Textfield label={t('approvals.fields')} description={t('approvals.fieldsHelp')} value={fields} onChange={(e) => setFields(e.target.value)} />
      <Textfield label={t('approvals.expires')} description={t('approvals.expiresHelp')} type="date" value={ends} onChange={(e) => setEnds(e.target.value)} />
      <div className="actions">
        <Button variant="secondary" onClick={() => void runPreview()} loading={action.busy}>
          {t('approvals.preview')}
        </Button>
        <Button onClick={() => void approve()} disabled={preview === null || action.busy}>
          {t('approvals.approve')}
        </Button>
      </div>
      {preview !== null && (
        <section aria-label={t('approvals.previewTitle')} data-testid="preview">
          <Paragraph>{t('approvals.previewCount', { n: preview.length })}</Paragraph>
          <pre className="json" tabIndex={0} aria-label={t('approvals.previewTitle')}>
            {preview.map((e) => JSON.stringify(e)).join('\n')}
          </pre>
        </section>
      )}
      <div className="deny">
        <Textfield label={t('approvals.reason')} value={reason} onChange={(e) => setReason(e.target.value)} />
        <Button variant="secondary" data-color="danger" onClick={() => void deny()} disabled={!reason.trim() || action.busy}>
          {t('approvals.deny')}
        </Button>
      </div>
      <ProblemAlert error={action.error} />
    </Card>
  );
}
