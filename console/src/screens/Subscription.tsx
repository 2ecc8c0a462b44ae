import { Button, Checkbox, Heading, Paragraph, Table, Textfield } from '@digdir/designsystemet-react';
import { useState, type FormEvent } from 'react';
import { api, enc, get, type Attempt, type DeadLetter, type EventNames, type Subscription } from '../api';
import { ProblemAlert, Screen, Show, ShownOnce, useAction, useLoad } from '../components/common';
import { useI18n } from '../i18n';
import { StatusTag } from './Subscriptions';

/** How one test event went (POST /subscriptions/{id}/test). */
interface TestAttempt {
  id: string;
  outcome: string;
  status: number | null;
  latencyMs: number;
  response: string | null;
  error: string | null;
  requestHeaders: Record<string, string> | null;
}

/** Dead letters shown per page; each names its event (id, type, subject) as the hub serves it to the subscription's owner. */
const DEAD_PAGE = 100;

/** An event's type and subject, its id below: what the hub says the owner is served (an attribute not served is absent). */
function EventCell({ event }: { event: EventNames }) {
  const { t } = useI18n();
  if (!event) return <span>{t('sub.eventNotServed')}</span>;
  return (
    <>
      <span>{event.type ?? '–'}</span>
      {event.subject !== undefined && (
        <>
          {' · '}
          <span>{event.subject}</span>
        </>
      )}
      {event.id !== undefined && (
        <>
          <br />
          <code className="excerpt">{event.id}</code>
        </>
      )}
    </>
  );
}

/** The request headers an attempt sent, folded: one line per header. */
function HeadersCell({ headers, at }: { headers: Record<string, string> | null; at: string }) {
  const { t, formatDate } = useI18n();
  if (!headers) return <span>–</span>;
  const entries = Object.entries(headers);
  return (
    <details>
      <summary>
        {t('sub.headersCount', { n: entries.length })}
        <span className="ds-sr-only"> {t('sub.headersSentAt', { at: formatDate(at) })}</span>
      </summary>
      <pre className="json headers">{entries.map(([name, value]) => `${name}: ${value}`).join('\n')}</pre>
    </details>
  );
}

/** One subscription: where it is, how its deliveries went, what failed, and the levers to fix it. */
export function SubscriptionScreen({ id }: { id: string }) {
  const { t, formatNumber, formatDate } = useI18n();
  const sub = useLoad(() => get<Subscription>(`/subscriptions/${enc(id)}`), [id]);
  const attempts = useLoad(() => get<{ attempts: Attempt[] }>(`/subscriptions/${enc(id)}/attempts?limit=50`), [id]);
  const [secret, setSecret] = useState<string | null>(null);
  const [tested, setTested] = useState<TestAttempt | null>(null);
  const action = useAction();
  const reloadAll = () => {
    sub.reload();
    attempts.reload();
  };

  const toggle = async (s: Subscription) => {
    const result = await action.run(() => api('POST', `/subscriptions/${enc(id)}/${s.status === 'active' ? 'disable' : 'enable'}`, s.status === 'active' ? { reason: t('sub.pausedInConsole') } : undefined));
    if (result.ok) reloadAll();
  };
  const rotate = async () => {
    const result = await action.run(() => api<{ secret: string }>('POST', `/subscriptions/${enc(id)}/secret/rotate`, {}));
    if (result.ok) setSecret(result.value.secret);
  };

  const sendTest = async () => {
    setTested(null);
    const result = await action.run(() => api<TestAttempt>('POST', `/subscriptions/${enc(id)}/test`));
    if (result.ok) setTested(result.value);
  };

  const list = attempts.data?.attempts ?? [];
  const lastSuccess = list.find((a) => a.outcome === 'success');
  const streak = lastSuccess ? list.indexOf(lastSuccess) : list.length;

  return (
    <Screen title={t('sub.title', { id })}>
      {secret && <ShownOnce label={t('sub.newSecret')} value={secret} onDone={() => setSecret(null)} />}
      <ProblemAlert error={action.error} />
      <Show loaded={sub}>
        {(s) => (
          <>
            <dl className="facts">
              <dt>{t('subs.list')}</dt>
              <dd>{s.list}</dd>
              <dt>{t('subs.sink')}</dt>
              <dd>
                <code>{s.sink}</code> ({s.protocol})
              </dd>
              <dt>{t('subs.status')}</dt>
              <dd>
                <StatusTag status={s.status} /> {s.disabledReason ?? ''}
              </dd>
              <dt>{t('sub.position')}</dt>
              <dd data-testid="sub-position">{formatNumber(s.position)}</dd>
              <dt>{t('subs.lag')}</dt>
              <dd>{formatNumber(s.lag)}</dd>
              <dt>{t('sub.lastSuccess')}</dt>
              <dd>{lastSuccess ? formatDate(lastSuccess.at) : '–'}</dd>
              <dt>{t('sub.streak')}</dt>
              <dd>{formatNumber(streak)}</dd>
            </dl>
            <div className="actions">
              <Button variant="secondary" onClick={() => void toggle(s)} loading={action.busy}>
                {s.status === 'active' ? t('sub.pause') : t('sub.resume')}
              </Button>
              {s.protocol === 'HTTP' && (
                <Button variant="secondary" onClick={() => void rotate()}>
                  {t('sub.rotate')}
                </Button>
              )}
              <Button variant="secondary" onClick={() => void sendTest()} disabled={action.busy}>
                {t('sub.sendTest')}
              </Button>
              <Button variant="tertiary" onClick={reloadAll}>
                {t('common.refresh')}
              </Button>
            </div>
            {tested && (
              <div role="status" data-testid="test-result">
                <Paragraph>{t('sub.testResult', { outcome: tested.outcome, status: tested.status ?? '–', latency: Math.round(tested.latencyMs) })}</Paragraph>
                {(tested.response ?? tested.error) && <pre className="json">{tested.response ?? tested.error}</pre>}
              </div>
            )}
            <DeadLetters subscription={s} onRedelivered={reloadAll} />
          </>
        )}
      </Show>
      <section aria-labelledby="attempts-title">
        <Heading level={2} data-size="sm" id="attempts-title">
          {t('sub.attempts')}
        </Heading>
        <Show loaded={attempts}>
          {({ attempts }) =>
            attempts.length === 0 ? (
              <Paragraph>{t('sub.noAttempts')}</Paragraph>
            ) : (
              <Table className="wide">
                <caption className="ds-sr-only">{t('sub.attempts')}</caption>
                <Table.Head>
                  <Table.Row>
                    <Table.HeaderCell>{t('sub.at')}</Table.HeaderCell>
                    <Table.HeaderCell>{t('sub.seq')}</Table.HeaderCell>
                    <Table.HeaderCell>{t('sub.event')}</Table.HeaderCell>
                    <Table.HeaderCell>{t('sub.outcome')}</Table.HeaderCell>
                    <Table.HeaderCell>{t('sub.httpStatus')}</Table.HeaderCell>
                    <Table.HeaderCell>{t('sub.latency')}</Table.HeaderCell>
                    <Table.HeaderCell>{t('sub.response')}</Table.HeaderCell>
                    <Table.HeaderCell>{t('sub.requestHeaders')}</Table.HeaderCell>
                  </Table.Row>
                </Table.Head>
                <Table.Body>
                  {attempts.map((a) => (
                    <Table.Row key={a.id} data-testid="attempt">
                      <Table.Cell>{formatDate(a.at)}</Table.Cell>
                      <Table.Cell className="num">{a.seq}</Table.Cell>
                      <Table.Cell>
                        <EventCell event={a.event} />
                      </Table.Cell>
                      <Table.Cell>{a.outcome}</Table.Cell>
                      <Table.Cell>{a.status ?? '–'}</Table.Cell>
                      <Table.Cell className="num">{t('sub.ms', { ms: formatNumber(a.latencyMs) })}</Table.Cell>
                      <Table.Cell>
                        <code className="excerpt">{(a.response ?? a.error ?? '').slice(0, 200)}</code>
                      </Table.Cell>
                      <Table.Cell>
                        <HeadersCell headers={a.requestHeaders} at={a.at} />
                      </Table.Cell>
                    </Table.Row>
                  ))}
                </Table.Body>
              </Table>
            )
          }
        </Show>
      </section>
    </Screen>
  );
}

function DeadLetters({ subscription, onRedelivered }: { subscription: Subscription; onRedelivered(): void }) {
  const { t, formatDate } = useI18n();
  const id = subscription.id;
  const dead = useLoad(() => get<{ deadletters: DeadLetter[] }>(`/subscriptions/${enc(id)}/deadletters?limit=${DEAD_PAGE}`), [id]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [since, setSince] = useState('');
  const [until, setUntil] = useState('');
  const [done, setDone] = useState<number | null>(null);
  const action = useAction();

  const redeliver = async (body: unknown) => {
    const result = await action.run(() => api<{ redelivering: number }>('POST', `/subscriptions/${enc(id)}/redeliver`, body));
    if (result.ok) {
      setDone(result.value.redelivering);
      setSelected(new Set());
      dead.reload();
      onRedelivered();
    }
  };
  const range = (e: FormEvent) => {
    e.preventDefault();
    void redeliver({ from, ...(to && { to }) });
  };
  // datetime-local is the reader's local time; the hub takes RFC 3339.
  const byTime = (e: FormEvent) => {
    e.preventDefault();
    void redeliver({ since: new Date(since).toISOString(), ...(until && { until: new Date(until).toISOString() }) });
  };

  return (
    <section aria-labelledby="dead-title">
      <Heading level={2} data-size="sm" id="dead-title">
        {t('sub.dead')}
      </Heading>
      <ProblemAlert error={action.error} />
      {done !== null && (
        <Paragraph role="status" data-testid="redelivered">
          {t('sub.redelivering', { n: done })}
        </Paragraph>
      )}
      <Show loaded={dead}>
        {({ deadletters }) =>
          deadletters.length === 0 ? (
            <Paragraph>{t('sub.noDead')}</Paragraph>
          ) : (
            <>
              <Table className="wide">
                <caption className="ds-sr-only">{t('sub.dead')}</caption>
                <Table.Head>
                  <Table.Row>
                    <Table.HeaderCell>
                      <span className="ds-sr-only">{t('sub.select')}</span>
                    </Table.HeaderCell>
                    <Table.HeaderCell>{t('sub.seq')}</Table.HeaderCell>
                    <Table.HeaderCell>{t('sub.eventId')}</Table.HeaderCell>
                    <Table.HeaderCell>{t('sub.eventType')}</Table.HeaderCell>
                    <Table.HeaderCell>{t('sub.eventSubject')}</Table.HeaderCell>
                    <Table.HeaderCell>{t('sub.reason')}</Table.HeaderCell>
                    <Table.HeaderCell>{t('sub.at')}</Table.HeaderCell>
                  </Table.Row>
                </Table.Head>
                <Table.Body>
                  {deadletters.map((d) => {
                    const e = d.event;
                    return (
                      <Table.Row key={d.seq}>
                        <Table.Cell>
                          <Checkbox
                            aria-label={t('sub.selectSeq', { seq: d.seq })}
                            checked={selected.has(d.seq)}
                            onChange={(ev) => {
                              const next = new Set(selected);
                              if (ev.target.checked) next.add(d.seq);
                              else next.delete(d.seq);
                              setSelected(next);
                            }}
                          />
                        </Table.Cell>
                        <Table.Cell className="num">{d.seq}</Table.Cell>
                        <Table.Cell>{e ? (e.id ?? '–') : t('sub.eventNotServed')}</Table.Cell>
                        <Table.Cell>{e?.type ?? '–'}</Table.Cell>
                        <Table.Cell>{e?.subject ?? '–'}</Table.Cell>
                        <Table.Cell>{d.reason}</Table.Cell>
                        <Table.Cell>{formatDate(d.at)}</Table.Cell>
                      </Table.Row>
                    );
                  })}
                </Table.Body>
              </Table>
              <div className="actions">
                <Button onClick={() => void redeliver({ seqs: [...selected] })} disabled={selected.size === 0 || action.busy}>
                  {t('sub.redeliverSelected', { n: selected.size })}
                </Button>
                <Button variant="secondary" onClick={() => void redeliver({ deadletters: true })} disabled={action.busy}>
                  {t('sub.redeliverAll')}
                </Button>
              </div>
            </>
          )
        }
      </Show>
      <Heading level={3} data-size="xs" id="range-title">
        {t('sub.redeliverRange')}
      </Heading>
      <form onSubmit={range} className="form inline" aria-labelledby="range-title">
        <Textfield label={t('sub.from')} inputMode="numeric" pattern="[0-9]+" value={from} onChange={(e) => setFrom(e.target.value)} required />
        <Textfield label={t('sub.to')} inputMode="numeric" pattern="[0-9]+" value={to} onChange={(e) => setTo(e.target.value)} />
        <Button type="submit" variant="secondary" disabled={action.busy}>
          {t('sub.redeliver')}
        </Button>
      </form>
      <Heading level={3} data-size="xs" id="time-title">
        {t('sub.redeliverTime')}
      </Heading>
      <form onSubmit={byTime} className="form inline" aria-labelledby="time-title">
        <Textfield label={t('sub.since')} type="datetime-local" step={1} value={since} onChange={(e) => setSince(e.target.value)} required />
        <Textfield label={t('sub.until')} type="datetime-local" step={1} value={until} onChange={(e) => setUntil(e.target.value)} />
        <Button type="submit" variant="secondary" disabled={action.busy}>
          {t('sub.redeliver')}
        </Button>
      </form>
    </section>
  );
}
