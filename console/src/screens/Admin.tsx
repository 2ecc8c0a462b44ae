import { Button, Checkbox, Heading, Paragraph, Table, Tag, Textfield } from '@digdir/designsystemet-react';
import { useState, type FormEvent } from 'react';
import { api, get, type ApiKey } from '../api';
import { ProblemAlert, Screen, Show, ShownOnce, useAction, useLoad } from '../components/common';
import { useI18n } from '../i18n';
import { Usage } from './Usage';

/** API keys: create (the key is shown once), see when each expires, revoke at once; usage per consumer. */
export function AdminScreen() {
  const { t, formatDate } = useI18n();
  const keys = useLoad(() => get<{ keys: ApiKey[] }>('/api-keys'), []);
  const [principal, setPrincipal] = useState('');
  const [admin, setAdmin] = useState(false);
  const [expires, setExpires] = useState('');
  const [created, setCreated] = useState<{ principal: string; key: string } | null>(null);
  const action = useAction();

  const create = async (e: FormEvent) => {
    e.preventDefault();
    const result = await action.run(() => api<{ key: string; principal: string }>('POST', '/api-keys', { principal: principal.trim(), admin, ...(expires && { expiresAt: new Date(expires).toISOString() }) }));
    if (result.ok) {
      setCreated(result.value);
      setPrincipal('');
      setAdmin(false);
      setExpires('');
      keys.reload();
    }
  };
  const revoke = async (id: string) => {
    const result = await action.run(() => api('DELETE', `/api-keys/${id}`));
    if (result.ok) keys.reload();
  };

  const state = (k: ApiKey) => (k.revokedAt ? 'revoked' : k.expiresAt && Date.parse(k.expiresAt) <= Date.now() ? 'expired' : 'active');

  return (
    <Screen title={t('admin.title')}>
      {created && <ShownOnce label={t('admin.newKey', { principal: created.principal })} value={created.key} onDone={() => setCreated(null)} />}
      <ProblemAlert error={action.error} />
      <section aria-labelledby="keys-title">
        <Heading level={2} data-size="sm" id="keys-title">
          {t('admin.keys')}
        </Heading>
        <Show loaded={keys}>
          {({ keys }) =>
            keys.length === 0 ? (
              <Paragraph>{t('admin.noKeys')}</Paragraph>
            ) : (
              <Table zebra className="wide">
                <caption className="ds-sr-only">{t('admin.keys')}</caption>
                <Table.Head>
                  <Table.Row>
                    <Table.HeaderCell>{t('grants.principal')}</Table.HeaderCell>
                    <Table.HeaderCell>{t('admin.prefix')}</Table.HeaderCell>
                    <Table.HeaderCell>{t('admin.role')}</Table.HeaderCell>
                    <Table.HeaderCell>{t('grants.created')}</Table.HeaderCell>
                    <Table.HeaderCell>{t('grants.expires')}</Table.HeaderCell>
                    <Table.HeaderCell>{t('access.state')}</Table.HeaderCell>
                    <Table.HeaderCell>
                      <span className="ds-sr-only">{t('common.actions')}</span>
                    </Table.HeaderCell>
                  </Table.Row>
                </Table.Head>
                <Table.Body>
                  {keys.map((k) => (
                    <Table.Row key={k.id}>
                      <Table.Cell>{k.principal}</Table.Cell>
                      <Table.Cell>
                        <code>{k.prefix}</code>
                      </Table.Cell>
                      <Table.Cell>{k.admin ? t('admin.admin') : t('admin.member')}</Table.Cell>
                      <Table.Cell>{formatDate(k.createdAt)}</Table.Cell>
                      <Table.Cell>{k.expiresAt ? formatDate(k.expiresAt) : t('grants.noEnd')}</Table.Cell>
                      <Table.Cell>
                        <Tag data-color={state(k) === 'active' ? 'success' : 'neutral'}>{t(`admin.state.${state(k)}`)}</Tag>
                      </Table.Cell>
                      <Table.Cell>
                        {state(k) === 'active' && (
                          <Button variant="tertiary" data-size="sm" data-color="danger" aria-label={t('admin.revokeFor', { principal: k.principal, prefix: k.prefix })} onClick={() => void revoke(k.id)}>
                            {t('grants.revoke')}
                          </Button>
                        )}
                      </Table.Cell>
                    </Table.Row>
                  ))}
                </Table.Body>
              </Table>
            )
          }
        </Show>
      </section>
      <Usage />
      <section aria-labelledby="new-key">
        <Heading level={2} data-size="sm" id="new-key">
          {t('admin.create')}
        </Heading>
        <form onSubmit={(e) => void create(e)} className="form">
          <Textfield label={t('grants.principal')} description={t('admin.principalHelp')} value={principal} onChange={(e) => setPrincipal(e.target.value)} required />
          <Checkbox label={t('admin.isAdmin')} checked={admin} onChange={(e) => setAdmin(e.target.checked)} />
          <Textfield label={t('admin.expires')} description={t('admin.expiresHelp')} type="datetime-local" value={expires} onChange={(e) => setExpires(e.target.value)} />
          <Button type="submit" loading={action.busy}>
            {t('admin.createButton')}
          </Button>
        </form>
      </section>
    </Screen>
  );
}
