import { Button, Heading, Paragraph, Select, Table, Textfield } from '@digdir/designsystemet-react';
import { useState, type FormEvent } from 'react';
import type { Session } from '../App';
import { get, withQuery, type AuditSearch, type Delivery, type EventList } from '../api';
import { ProblemAlert, Screen, Show, useAction, useLoad } from '../components/common';
import { useI18n } from '../i18n';

interface Result {
  list: string;
  subject: string;
  deliveries: Delivery[];
}

/** RFC 4180 CSV: every field quoted, quotes doubled. */
export function toCsv(rows: string[][]): string {
  return rows.map((r) => r.map((v) => `"${v.replace(/"/g, '""')}"`).join(',')).join('\r\n') + '\r\n';
}

/** "Who received events about subject X": every delivery of an event about it, by channel and time. */
export function AuditScreen({ session }: { session: Session }) {
  const { t, formatDate } = useI18n();
  const lists = useLoad(() => get<{ lists: EventList[] }>('/lists'), []);
  const searchable = (lists.data?.lists ?? []).filter((l) => session.admin || l.owner === session.principal);
  const [list, setList] = useState('');
  const [subject, setSubject] = useState('');
  const [since, setSince] = useState('');
  const [until, setUntil] = useState('');
  const [result, setResult] = useState<Result | null>(null);
  const action = useAction();
  const chosen = list || searchable[0]?.name || '';
  const [searched, setSearched] = useState(0);

  const search = async (e: FormEvent) => {
    e.preventDefault();
    const iso = (v: string) => (v ? new Date(v).toISOString() : undefined);
    const r = await action.run(() => get<Result>(withQuery('/audit', { list: chosen, subject, since: iso(since), until: iso(until) })));
    if (r.ok) setResult(r.value);
    setSearched((n) => n + 1);
  };

  const exportCsv = (r: Result) => {
    const csv = toCsv([['principal', 'channel', 'at', 'seq', 'type', 'list', 'subject'], ...r.deliveries.map((d) => [d.principal, d.channel, d.at, d.seq, d.type, r.list, r.subject])]);
    const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `audit-${r.list}-${r.subject.replace(/[^\w.-]+/g, '_')}.csv`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  return (
    <Screen title={t('audit.title')}>
      <Paragraph>{t('audit.intro')}</Paragraph>
      <form onSubmit={(e) => void search(e)} className="form">
        <div>
          <label htmlFor="audit-list" className="ds-label">
            {t('subs.list')}
          </label>
          <Select id="audit-list" value={chosen} onChange={(e) => setList(e.target.value)}>
            {searchable.map((l) => (
              <Select.Option key={l.name} value={l.name}>
                {l.name}
              </Select.Option>
            ))}
          </Select>
        </div>
        <Textfield label={t('audit.subject')} value={subject} onChange={(e) => setSubject(e.target.value)} required />
        <div className="two-columns">
          <Textfield label={t('audit.since')} type="datetime-local" value={since} onChange={(e) => setSince(e.target.value)} />
          <Textfield label={t('audit.until')} type="datetime-local" value={until} onChange={(e) => setUntil(e.target.value)} />
        </div>
        <Button type="submit" loading={action.busy} disabled={!chosen}>
          {t('audit.search')}
        </Button>
      </form>
      <ProblemAlert error={action.error} />
      {result && (
        <section aria-labelledby="audit-result">
          <Heading level={2} data-size="sm" id="audit-result">
            {t('audit.result', { subject: result.subject, n: result.deliveries.length })}
          </Heading>
          {result.deliveries.length > 0 && (
            <>
              <Table className="wide" data-testid="audit-table">
                <caption className="ds-sr-only">{t('audit.result', { subject: result.subject, n: result.deliveries.length })}</caption>
                <Table.Head>
                  <Table.Row>
                    <Table.HeaderCell>{t('audit.principal')}</Table.HeaderCell>
                    <Table.HeaderCell>{t('audit.channel')}</Table.HeaderCell>
                    <Table.HeaderCell>{t('audit.at')}</Table.HeaderCell>
                    <Table.HeaderCell>{t('sub.seq')}</Table.HeaderCell>
                    <Table.HeaderCell>{t('sub.eventType')}</Table.HeaderCell>
                  </Table.Row>
                </Table.Head>
                <Table.Body>
                  {result.deliveries.map((d, i) => (
                    <Table.Row key={i}>
                      <Table.Cell>{d.principal}</Table.Cell>
                      <Table.Cell>{d.channel}</Table.Cell>
                      <Table.Cell>{formatDate(d.at)}</Table.Cell>
                      <Table.Cell className="num">{d.seq}</Table.Cell>
                      <Table.Cell>{d.type}</Table.Cell>
                    </Table.Row>
                  ))}
                </Table.Body>
              </Table>
              <Button variant="secondary" onClick={() => exportCsv(result)}>
                {t('audit.export')}
              </Button>
            </>
          )}
        </section>
      )}
      {session.admin && <Searches reload={searched} />}
    </Screen>
  );
}

/** Admins: every audit search, newest first (who searched for whom is itself personal data processing). */
function Searches({ reload }: { reload: number }) {
  const { t, formatDate } = useI18n();
  const searches = useLoad(() => get<{ searches: AuditSearch[] }>('/audit/searches?limit=50'), [reload]);
  return (
    <section aria-labelledby="audit-searches">
      <Heading level={2} data-size="sm" id="audit-searches">
        {t('audit.searches')}
      </Heading>
      <Paragraph>{t('audit.searchesIntro')}</Paragraph>
      <Show loaded={searches}>
        {({ searches }) =>
          searches.length === 0 ? (
            <Paragraph>{t('audit.noSearches')}</Paragraph>
          ) : (
            <Table className="wide" data-testid="audit-searches">
              <caption className="ds-sr-only">{t('audit.searches')}</caption>
              <Table.Head>
                <Table.Row>
                  <Table.HeaderCell>{t('audit.at')}</Table.HeaderCell>
                  <Table.HeaderCell>{t('audit.searcher')}</Table.HeaderCell>
                  <Table.HeaderCell>{t('subs.list')}</Table.HeaderCell>
                  <Table.HeaderCell>{t('audit.subject')}</Table.HeaderCell>
                  <Table.HeaderCell>{t('audit.window')}</Table.HeaderCell>
                  <Table.HeaderCell>{t('audit.found')}</Table.HeaderCell>
                </Table.Row>
              </Table.Head>
              <Table.Body>
                {searches.map((s, i) => (
                  <Table.Row key={i}>
                    <Table.Cell>{formatDate(s.at)}</Table.Cell>
                    <Table.Cell>{s.principal}</Table.Cell>
                    <Table.Cell>{s.list}</Table.Cell>
                    <Table.Cell>{s.subject}</Table.Cell>
                    <Table.Cell>{s.since || s.until ? `${s.since ? formatDate(s.since) : '…'} – ${s.until ? formatDate(s.until) : '…'}` : t('audit.anyTime')}</Table.Cell>
                    <Table.Cell className="num">{s.results}</Table.Cell>
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
