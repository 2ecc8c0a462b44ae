import { Alert, Button, Heading, Paragraph, Spinner, Textfield } from '@digdir/designsystemet-react';
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { ApiError } from '../api';
import { useI18n } from '../i18n';
import type { MessageKey } from '../i18n/en';

/** The first screen after a page load leaves focus at the top (the skip link comes first); later ones take it. */
let firstScreen = true;

/** A screen: its title in the tab and as the one h1, which takes focus when another screen opens (for screen readers). */
export function Screen({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  const h1 = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} – Herold`;
    if (firstScreen) {
      firstScreen = false;
      // When the first screen was ready for input (bench/console.js reads it).
      performance.mark('herold:first-screen');
    } else h1.current?.focus();
  }, [title]);
  return (
    <section className="screen" aria-labelledby="screen-title">
      <div className="screen-head">
        <Heading level={1} data-size="lg" id="screen-title" ref={h1} tabIndex={-1}>
          {title}
        </Heading>
        {actions}
      </div>
      {children}
    </section>
  );
}

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload(): void;
}

/** Load something from the API when the inputs change; `reload` fetches again. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error: unknown) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** The hub's own words for a failure (problem+json detail and each field at fault). */
export function ProblemAlert({ error }: { error: unknown }) {
  const { t } = useI18n();
  if (!error) return null;
  const p = error instanceof ApiError ? error.problem : undefined;
  return (
    <Alert data-color="danger" role="alert">
      <Paragraph>{p?.detail ?? p?.title ?? (error instanceof Error ? error.message : t('error.unknown'))}</Paragraph>
      {p?.errors && p.errors.length > 0 && (
        <ul>
          {p.errors.map((e, i) => (
            <li key={i}>
              <code>{e.pointer}</code>: {e.message}
            </li>
          ))}
        </ul>
      )}
    </Alert>
  );
}

export function Loading({ what }: { what?: MessageKey }) {
  const { t } = useI18n();
  return <Spinner aria-label={t(what ?? 'common.loading')} data-size="sm" />;
}

/** Loading, failure, or the content. */
export function Show<T>({ loaded, children }: { loaded: Loaded<T>; children: (data: T) => ReactNode }) {
  if (loaded.error) return <ProblemAlert error={loaded.error} />;
  if (loaded.data === undefined) return <Loading />;
  return <>{children(loaded.data)}</>;
}

/** A secret the hub shows once (a new key, a signing secret): readable, copyable, and said to be shown once. */
export function ShownOnce({ label, value, onDone }: { label: string; value: string; onDone(): void }) {
  const { t } = useI18n();
  return (
    <Alert data-color="warning" className="shown-once">
      <Heading level={2} data-size="xs">
        {t('common.shownOnce')}
      </Heading>
      <Textfield label={label} value={value} readOnly onFocus={(e) => e.currentTarget.select()} />
      <Button variant="secondary" onClick={onDone}>
        {t('common.storedIt')}
      </Button>
    </Alert>
  );
}

/** Run an action once at a time, keeping its failure to show. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = useCallback(async <T,>(action: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> => {
    setBusy(true);
    setError(null);
    try {
      return { ok: true, value: await action() };
    } catch (e) {
      setError(e);
      return { ok: false, error: e };
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run, clear: () => setError(null) };
}

/** A filter as the hub stores it: CESQL text, or Subscriptions API dialects as JSON. */
export function filterText(filter: unknown): string {
  if (filter === null || filter === undefined) return '';
  return typeof filter === 'string' ? filter : JSON.stringify(filter);
}
