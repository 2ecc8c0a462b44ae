import { Alert, Button, Paragraph, SkipLink } from '@digdir/designsystemet-react';
import { useCallback, useEffect, useState } from 'react';
import { api, ApiError, get, onUnauthorized, type EventList, type Me } from './api';
import { Loading } from './components/common';
import { LanguageSwitcher } from './components/LanguageSwitcher';
import { useI18n } from './i18n';
import { AppLink, match, useRouter } from './router';
import { AccessScreen } from './screens/Access';
import { AdminScreen } from './screens/Admin';
import { ApprovalsScreen } from './screens/Approvals';
import { AuditScreen } from './screens/Audit';
import { EventScreen } from './screens/Event';
import { ListScreen } from './screens/List';
import { ListsScreen } from './screens/Lists';
import { LiveTailScreen } from './screens/LiveTail';
import { NotFoundScreen } from './screens/NotFound';
import { SignInScreen } from './screens/SignIn';
import { SubscriptionScreen } from './screens/Subscription';
import { SubscriptionsScreen } from './screens/Subscriptions';

/** Who is signed in, and what they may open: owners approve and audit, admins also manage keys. */
export interface Session extends Me {
  owns: string[];
}

export function App() {
  const { t } = useI18n();
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [ended, setEnded] = useState(false);

  const load = useCallback(async () => {
    try {
      const me = await get<Me>('/console/session');
      const { lists } = await get<{ lists: EventList[] }>('/lists');
      setSession({ ...me, owns: lists.filter((l) => l.owner === me.principal).map((l) => l.name) });
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) setSession(null);
      else throw e;
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);
  useEffect(
    () =>
      onUnauthorized(() => {
        setEnded(true);
        setSession(null);
      }),
    [],
  );

  const signOut = async () => {
    await api('DELETE', '/console/session');
    setEnded(false);
    setSession(null);
  };

  if (session === undefined) return <Loading />;
  return (
    <>
      <SkipLink href="#main">{t('nav.skip')}</SkipLink>
      <header className="app-header">
        <span className="brand">Herold</span>
        {session && <Navigation session={session} />}
        <div className="header-end">
          <LanguageSwitcher />
          {session && (
            <>
              <Paragraph data-size="sm" className="whoami">
                {t('nav.signedInAs', { principal: session.principal })}
              </Paragraph>
              <Button variant="secondary" data-size="sm" onClick={() => void signOut()}>
                {t('nav.signOut')}
              </Button>
            </>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {ended && !session && (
          <Alert data-color="info" role="status">
            {t('signIn.ended')}
          </Alert>
        )}
        {session ? (
          <Screens session={session} />
        ) : (
          <SignInScreen
            onSignedIn={() => {
              setEnded(false);
              void load();
            }}
          />
        )}
      </main>
    </>
  );
}

function Navigation({ session }: { session: Session }) {
  const { t } = useI18n();
  const { location } = useRouter();
  const mayApprove = session.admin || session.owns.length > 0;
  const items: [string, string][] = [
    ['/', t('nav.lists')],
    ['/subscriptions', t('nav.subscriptions')],
    ['/access', t('nav.access')],
    ...(mayApprove ? ([['/approvals', t('nav.approvals')], ['/audit', t('nav.audit')]] as [string, string][]) : []),
    ...(session.admin ? ([['/admin', t('nav.admin')]] as [string, string][]) : []),
  ];
  const active = (to: string) => (to === '/' ? location.path === '/' || location.path.startsWith('/lists') : location.path.startsWith(to));
  return (
    <nav aria-label={t('nav.label')}>
      <ul className="nav-list">
        {items.map(([to, label]) => (
          <li key={to}>
            <AppLink to={to} aria-current={active(to) ? 'page' : undefined}>
              {label}
            </AppLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function Screens({ session }: { session: Session }) {
  const { location } = useRouter();
  const path = location.path;
  let m: Record<string, string> | null;
  if (path === '/' || path === '') return <ListsScreen session={session} />;
  if ((m = match('/lists/:list', path))) return <ListScreen list={m.list} session={session} />;
  if ((m = match('/lists/:list/tail', path))) return <LiveTailScreen list={m.list} />;
  if ((m = match('/lists/:list/events/:seq', path))) return <EventScreen list={m.list} seq={m.seq} />;
  if (path === '/subscriptions') return <SubscriptionsScreen />;
  if ((m = match('/subscriptions/:id', path))) return <SubscriptionScreen id={m.id} />;
  if (path === '/access') return <AccessScreen session={session} />;
  if (path === '/approvals') return <ApprovalsScreen />;
  if (path === '/audit') return <AuditScreen session={session} />;
  if (path === '/admin') return <AdminScreen />;
  return <NotFoundScreen />;
}
