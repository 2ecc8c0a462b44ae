import { Button, Fieldset, Heading, Paragraph, Radio, Select, Table, Tag, Textfield } from '@digdir/designsystemet-react';
import { useState, type FormEvent } from 'react';
import { api, enc, get, type EventList, type EventPage, type Subscription } from '../api';
import { filterProblem, type FilterProblem } from '../components/cesql';
import { FilterField } from '../components/FilterField';
import { ProblemAlert, Screen, Show, ShownOnce, useAction, useLoad } from '../components/common';
import { useI18n } from '../i18n';
import { AppLink, useRouter } from '../router';

/** Your subscriptions (an admin sees all), and a new one. */
export function SubscriptionsScreen() {
  const { t, formatNumber } = useI18n();
  const subs = useLoad(() => get<{ subscriptions: Subscription[] }>('/subscriptions'), []);
  const [secret, setSecret] = useState<{ id: string; secret: string } | null>(null);
  return (
    <Screen title={t('subs.title')}>
      {secret && <ShownOnce label={t('subs.secret', { id: secret.id })} value={secret.secret} onDone={() => setSecret(null)} />}
      <Show loaded={subs}>
        {({ subscriptions }) =>
          subscriptions.length === 0 ? (
            <Paragraph>{t('subs.none')}</Paragraph>
          ) : (
            <Table zebra className="wide">
              <caption className="ds-sr-only">{t('subs.title')}</caption>
              <Table.Head>
                <Table.Row>
                  <Table.HeaderCell>{t('subs.id')}</Table.HeaderCell>
                  <Table.HeaderCell>{t('subs.list')}</Table.HeaderCell>
                  <Table.HeaderCell>{t('subs.sink')}</Table.HeaderCell>
                  <Table.HeaderCell>{t('subs.status')}</Table.HeaderCell>
                  <Table.HeaderCell>{t('subs.lag')}</Table.HeaderCell>
                </Table.Row>
              </Table.Head>
              <Table.Body>
                {subscriptions.map((s) => (
                  <Table.Row key={s.id}>
                    <Table.Cell>
                      <AppLink to={`/subscriptions/${s.id}`}>{s.id}</AppLink>
                    </Table.Cell>
                    <Table.Cell>{s.list}</Table.Cell>
                    <Table.Cell>
                      <code>{s.sink}</code>
                    </Table.Cell>
                    <Table.Cell>
                      <StatusTag status={s.status} />
                    </Table.Cell>
                    <Table.Cell className="num">{formatNumber(s.lag)}</Table.Cell>
                  </Table.Row>
                ))}
              </Table.Body>
            </Table>
          )
        }
      </Show>
      <CreateSubscription
        onCreated={(s) => {
          if (s.secret) setSecret({ id: s.id, secret: s.secret });
          subs.reload();
        }}
      />
    </Screen>
  );
}

export function StatusTag({ status }: { status: Subscription['status'] }) {
  const { t } = useI18n();
  return <Tag data-color={status === 'active' ? 'success' : 'warning'}>{t(`subs.status.${status}`)}</Tag>;
}

/** How many recent events "test filter" runs the filter against. */
const TEST_WINDOW = 100;

function CreateSubscription({ onCreated }: { onCreated(s: Subscription): void }) {
  const { t, formatNumber } = useI18n();
  const { location } = useRouter();
  const lists = useLoad(() => get<{ lists: EventList[] }>('/lists'), []);
  const [list, setList] = useState(location.query.get('list') ?? '');
  const [protocol, setProtocol] = useState<'HTTP' | 'AMQP'>('HTTP');
  const [sink, setSink] = useState('');
  const [types, setTypes] = useState('');
  const [sql, setSql] = useState('');
  const [exchange, setExchange] = useState('');
  const [routingKey, setRoutingKey] = useState('');
  const [queue, setQueue] = useState('');
  const [problem, setProblem] = useState<FilterProblem | null>(null);
  const [tested, setTested] = useState<{ matched: number; of: number } | null>(null);
  const create = useAction();
  const test = useAction();

  const chosen = list || lists.data?.lists[0]?.name || '';
  const typeList = types.split(',').map((s) => s.trim()).filter(Boolean);
  const filters = sql.trim() ? [{ sql: sql.trim() }] : undefined;

  /** Run the filter on the latest events through the ordinary read (the hub's own CESQL, the caller's grant). */
  const testFilter = async () => {
    setTested(null);
    setProblem(null);
    const result = await test.run(async () => {
      const l = await get<EventList>(`/lists/${enc(chosen)}`);
      const after = BigInt(l.head) > BigInt(TEST_WINDOW) ? String(BigInt(l.head) - BigInt(TEST_WINDOW)) : '0';
      const query = new URLSearchParams({ after, limit: String(TEST_WINDOW) });
      for (const ty of typeList) query.append('type', ty);
      if (sql.trim()) query.set('filter', sql.trim());
      const page = await get<EventPage>(`/lists/${enc(chosen)}/events?${query.toString()}`);
      return { matched: page.events.length, of: Number(BigInt(l.head) - BigInt(after)) };
    });
    if (result.ok) setTested(result.value);
    else setProblem(filterProblem(result.error));
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const protocolsettings = protocol === 'AMQP' ? (queue ? { queue } : { exchange, routingkey: routingKey }) : undefined;
    const result = await create.run(() =>
      api<Subscription>('POST', `/lists/${enc(chosen)}/subscriptions`, { sink, protocol, ...(typeList.length > 0 && { types: typeList }), ...(filters && { filters }), ...(protocolsettings && { protocolsettings }) }),
    );
    if (result.ok) {
      setSink('');
      onCreated(result.value);
    }
  };

  return (
    <section aria-labelledby="new-sub">
      <Heading level={2} data-size="md" id="new-sub">
        {t('subs.new')}
      </Heading>
      <form onSubmit={(e) => void submit(e)} className="form">
        <div>
          <label htmlFor="sub-list" className="ds-label">
            {t('subs.list')}
          </label>
          <Select id="sub-list" value={chosen} onChange={(e) => setList(e.target.value)}>
            {(lists.data?.lists ?? []).map((l) => (
              <Select.Option key={l.name} value={l.name}>
                {l.name}
              </Select.Option>
            ))}
          </Select>
        </div>
        <Fieldset>
          <Fieldset.Legend>{t('subs.protocol')}</Fieldset.Legend>
          <Radio label={t('subs.webhook')} name="protocol" value="HTTP" checked={protocol === 'HTTP'} onChange={() => setProtocol('HTTP')} />
          <Radio label={t('subs.amqp')} name="protocol" value="AMQP" checked={protocol === 'AMQP'} onChange={() => setProtocol('AMQP')} />
        </Fieldset>
        <Textfield label={t('subs.sink')} description={protocol === 'HTTP' ? t('subs.sinkHttp') : t('subs.sinkAmqp')} value={sink} onChange={(e) => setSink(e.target.value)} required />
        {protocol === 'AMQP' && (
          <div className="two-columns">
            <Textfield label={t('subs.exchange')} value={exchange} onChange={(e) => setExchange(e.target.value)} />
            <Textfield label={t('subs.routingKey')} value={routingKey} onChange={(e) => setRoutingKey(e.target.value)} />
            <Textfield label={t('subs.queue')} description={t('subs.queueHelp')} value={queue} onChange={(e) => setQueue(e.target.value)} />
          </div>
        )}
        <Textfield label={t('subs.types')} description={t('subs.typesHelp')} value={types} onChange={(e) => setTypes(e.target.value)} />
        <FilterField value={sql} onChange={setSql} problem={problem} />
        <div className="actions">
          <Button type="button" variant="secondary" onClick={() => void testFilter()} loading={test.busy} disabled={!chosen}>
            {t('subs.testFilter')}
          </Button>
          <Button type="submit" loading={create.busy} disabled={!chosen}>
            {t('subs.create')}
          </Button>
        </div>
        {tested && (
          <Paragraph role="status" data-testid="filter-tested">
            {t('subs.tested', { matched: formatNumber(tested.matched), of: formatNumber(tested.of) })}
          </Paragraph>
        )}
        {!problem && <ProblemAlert error={test.error} />}
        <ProblemAlert error={create.error} />
      </form>
    </section>
  );
}
