import { Button, Paragraph } from '@digdir/designsystemet-react';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { enc, get, withQuery, type CloudEvent, type EventList, type EventPage } from '../api';
import { filterProblem, type FilterProblem } from '../components/cesql';
import { FilterField } from '../components/FilterField';
import { ProblemAlert, Screen } from '../components/common';
import { VirtualRows } from '../components/VirtualRows';
import { useI18n } from '../i18n';
import { AppLink, useRouter } from '../router';

/** Rows kept for scrolling back; the count goes on beyond it. */
const KEEP = 100_000;
const ROW = 32;
/** Redraw at most this often: at 1,000 events/s a frame per event would be wasted work. */
const FRAME_MS = 100;

type State = 'connecting' | 'live' | 'paused' | 'closed';

interface Tail {
  events: CloudEvent[];
  received: number;
  last: string | null;
}

/**
 * Follow a list live over Server-Sent Events through the public read route,
 * with the session cookie as credentials. Every event is counted once, in
 * order (a reconnect resumes from Last-Event-ID and repeats are dropped by
 * seq); pausing closes the stream and resuming continues after the last
 * event, so nothing is skipped.
 */
export function LiveTailScreen({ list }: { list: string }) {
  const { t, formatNumber, formatDate } = useI18n();
  const { location, navigate } = useRouter();
  const initialFilter = location.query.get('filter') ?? '';
  const [input, setInput] = useState(initialFilter);
  const [filter, setFilter] = useState(initialFilter);
  const [problem, setProblem] = useState<FilterProblem | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [paused, setPaused] = useState(false);
  const [state, setState] = useState<State>('connecting');
  const [, setFrame] = useState(0);
  const tail = useRef<Tail>({ events: [], received: 0, last: null });

  // A new filter is a new view: start counting again from the head.
  useEffect(() => {
    tail.current = { events: [], received: 0, last: null };
    setFrame((f) => f + 1);
  }, [list, filter]);

  useEffect(() => {
    if (paused) {
      setState('paused');
      return;
    }
    let source: EventSource | null = null;
    let timer: ReturnType<typeof setTimeout> | null = null;
    let stopped = false;
    const redraw = () => {
      timer ??= setTimeout(() => {
        timer = null;
        setFrame((f) => f + 1);
      }, FRAME_MS);
    };
    setState('connecting');
    setFailure(null);
    (async () => {
      let after = tail.current.last;
      const base = `/lists/${enc(list)}/events`;
      try {
        if (after === null) after = (await get<EventList>(`/lists/${enc(list)}`)).head;
        // An EventSource cannot read a refusal's body: ask once as JSON, so a bad filter shows where it is wrong.
        await get<EventPage>(withQuery(base, { after, limit: 1, filter: filter || undefined }));
        setProblem(null);
      } catch (e) {
        if (stopped) return;
        const p = filterProblem(e);
        if (p && filter) setProblem(p);
        else setFailure(e);
        setState('closed');
        return;
      }
      if (stopped) return;
      source = new EventSource(withQuery(base, { after, filter: filter || undefined }));
      source.onopen = () => setState('live');
      source.onmessage = (m) => {
        const event = JSON.parse(m.data as string) as CloudEvent;
        const tl = tail.current;
        if (tl.last !== null && BigInt(event.heroldseq) <= BigInt(tl.last)) return; // a repeat after a reconnect
        tl.last = event.heroldseq;
        tl.received++;
        tl.events.push(event);
        if (tl.events.length > KEEP) tl.events = tl.events.slice(KEEP / 2);
        redraw();
      };
      source.onerror = () => {
        if (source?.readyState === EventSource.CLOSED) {
          setState('closed');
          // Refused: perhaps the session ended (this call then shows the sign-in screen).
          get('/console/session').catch(() => undefined);
        } else setState('connecting');
      };
    })();
    return () => {
      stopped = true;
      source?.close();
      if (timer) clearTimeout(timer);
    };
  }, [list, filter, paused]);

  const apply = (e: FormEvent) => {
    e.preventDefault();
    setPaused(false);
    setFilter(input.trim());
    navigate(withQuery(`/lists/${enc(list)}/tail`, { filter: input.trim() || undefined }));
  };

  const tl = tail.current;
  return (
    <Screen title={t('tail.title', { list })}>
      <form onSubmit={apply} className="form">
        <FilterField value={input} onChange={setInput} problem={problem} />
        <div className="actions">
          <Button type="submit">{t('tail.apply')}</Button>
          <Button type="button" variant="secondary" onClick={() => setPaused((p) => !p)} aria-pressed={paused}>
            {paused ? t('tail.resume') : t('tail.pause')}
          </Button>
        </div>
      </form>
      <ProblemAlert error={failure} />
      <Paragraph role="status" className="tail-state">
        {t(`tail.state.${state}`)}
      </Paragraph>
      <Paragraph className="tail-count" data-testid="tail-count" data-received={tl.received} data-last={tl.last ?? ''}>
        {t('tail.received', { count: formatNumber(tl.received), last: tl.last === null ? '–' : formatNumber(tl.last) })}
      </Paragraph>
      <VirtualRows
        count={tl.events.length}
        rowHeight={ROW}
        height={480}
        follow={!paused}
        label={t('tail.rows')}
        row={(i) => {
          const e = tl.events[i];
          return (
            <AppLink to={`/lists/${enc(list)}/events/${e.heroldseq}`} className="tail-row">
              <span className="num">{e.heroldseq}</span>
              <span>{formatDate(e.heroldtime)}</span>
              <span>{e.type ?? ''}</span>
              <span>{e.subject ?? ''}</span>
            </AppLink>
          );
        }}
      />
    </Screen>
  );
}
