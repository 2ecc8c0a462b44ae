import { Heading, Paragraph } from '@digdir/designsystemet-react';
import { enc, get, type CloudEvent } from '../api';
import { Screen, Show, useLoad } from '../components/common';
import { useI18n } from '../i18n';
import { AppLink } from '../router';

/** How far back the subject chain is followed. */
const CHAIN = 20;

/** One event exactly as the hub serves it to this principal, and the earlier events about its subject. */
export function EventScreen({ list, seq }: { list: string; seq: string }) {
  const { t, formatDate } = useI18n();
  const loaded = useLoad(async () => {
    const event = await get<CloudEvent>(`/lists/${enc(list)}/events/${enc(seq)}`);
    const chain: CloudEvent[] = [];
    let prev = event.heroldprevseq;
    while (prev !== undefined && chain.length < CHAIN) {
      const e = await get<CloudEvent>(`/lists/${enc(list)}/events/${enc(prev)}`);
      chain.push(e);
      prev = e.heroldprevseq;
    }
    return { event, chain, more: prev !== undefined };
  }, [list, seq]);
  return (
    <Screen title={t('event.title', { seq, list })}>
      <Show loaded={loaded}>
        {({ event, chain, more }) => (
          <>
            <Heading level={2} data-size="sm">
              {t('event.served')}
            </Heading>
            <pre className="json" tabIndex={0} aria-label={t('event.served')}>
              {JSON.stringify(event, null, 2)}
            </pre>
            <Heading level={2} data-size="sm">
              {t('event.chain', { subject: event.subject ?? '–' })}
            </Heading>
            {chain.length === 0 ? (
              <Paragraph>{t('event.firstOfSubject')}</Paragraph>
            ) : (
              <ol className="timeline" aria-label={t('event.chain', { subject: event.subject ?? '–' })}>
                {chain.map((e) => (
                  <li key={e.heroldseq}>
                    <AppLink to={`/lists/${enc(list)}/events/${e.heroldseq}`}>
                      {t('event.chainItem', { seq: e.heroldseq, type: e.type ?? '–', time: formatDate(e.heroldtime) })}
                    </AppLink>
                  </li>
                ))}
              </ol>
            )}
            {more && <Paragraph>{t('event.chainMore', { n: CHAIN })}</Paragraph>}
          </>
        )}
      </Show>
    </Screen>
  );
}
