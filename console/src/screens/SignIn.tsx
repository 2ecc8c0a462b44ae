import { Alert, Button, Heading, Paragraph, Textfield } from '@digdir/designsystemet-react';
import { useState, type FormEvent } from 'react';
import { api, get } from '../api';
import { ProblemAlert, Screen, useAction, useLoad } from '../components/common';
import { useI18n } from '../i18n';
import type { MessageKey } from '../i18n/en';
import { useRouter } from '../router';

const SIGNIN_ERRORS: Record<string, MessageKey> = {
  state: 'signIn.oidc.state',
  provider: 'signIn.oidc.provider',
  token: 'signIn.oidc.token',
  denied: 'signIn.oidc.denied',
};

/** Sign in with an API key (it goes to the hub once and stays there) or, when configured, with OpenID Connect. */
export function SignInScreen({ onSignedIn }: { onSignedIn(): void }) {
  const { t } = useI18n();
  const { location } = useRouter();
  const config = useLoad(() => get<{ oidc: boolean }>('/console/config'), []);
  const [key, setKey] = useState('');
  const action = useAction();
  const oidcError = location.query.get('signin');

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const result = await action.run(() => api('POST', '/console/session', { key }));
    if (result.ok) {
      setKey('');
      onSignedIn();
    }
  };

  return (
    <Screen title={t('signIn.title')}>
      <Paragraph>{t('signIn.intro')}</Paragraph>
      {oidcError && (
        <Alert data-color="danger" role="alert">
          {t(SIGNIN_ERRORS[oidcError] ?? 'signIn.oidc.provider')}
        </Alert>
      )}
      {config.data?.oidc && (
        <div className="signin-oidc">
          <Button asChild>
            <a href="/console/login">{t('signIn.oidc')}</a>
          </Button>
          <Heading level={2} data-size="xs">
            {t('signIn.orKey')}
          </Heading>
        </div>
      )}
      <form onSubmit={(e) => void submit(e)} className="form narrow">
        <Textfield label={t('signIn.key')} description={t('signIn.keyHelp')} type="password" autoComplete="off" value={key} onChange={(e) => setKey(e.target.value)} required />
        <ProblemAlert error={action.error} />
        <Button type="submit" loading={action.busy}>
          {t('signIn.submit')}
        </Button>
      </form>
    </Screen>
  );
}
