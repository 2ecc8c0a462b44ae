import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { en, type MessageKey, type Messages } from './en';
import { nb } from './nb';
import { nn } from './nn';

export type Language = 'nb' | 'nn' | 'en';
export const LANGUAGES: Language[] = ['nb', 'nn', 'en'];
const CATALOGUES: Record<Language, Messages> = { nb, nn, en };
const STORAGE_KEY = 'herold.console.language';

export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

interface I18n {
  language: Language;
  setLanguage(language: Language): void;
  t: Translate;
  /** The reader's locale for dates and numbers. */
  locale: string;
  formatDate(iso: string | number | null | undefined): string;
  formatNumber(n: number | string): string;
}

/** The language to start in: the reader's earlier choice, else the browser's, else bokmål. */
function initialLanguage(): Language {
  const stored = localStorage.getItem(STORAGE_KEY);
  if (stored === 'nb' || stored === 'nn' || stored === 'en') return stored;
  for (const l of navigator.languages) {
    const base = l.toLowerCase().split('-')[0];
    if (base === 'nn') return 'nn';
    if (base === 'nb' || base === 'no') return 'nb';
    if (base === 'en') return 'en';
  }
  return 'nb';
}

/** Dates in the reader's locale: the browser's own when it speaks the chosen language, else the language's usual one. */
function localeFor(language: Language): string {
  const own = navigator.languages.find((l) => l.toLowerCase().startsWith(language === 'en' ? 'en' : language) || (language === 'nb' && l.toLowerCase().startsWith('no')));
  return own ?? { nb: 'nb-NO', nn: 'nn-NO', en: 'en-GB' }[language];
}

function interpolate(text: string, params?: Record<string, string | number>): string {
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

const Context = createContext<I18n | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [language, setLanguageState] = useState<Language>(initialLanguage);
  const setLanguage = useCallback((l: Language) => {
    localStorage.setItem(STORAGE_KEY, l);
    setLanguageState(l);
  }, []);
  useEffect(() => {
    document.documentElement.lang = language;
  }, [language]);
  const value = useMemo<I18n>(() => {
    const messages = CATALOGUES[language];
    const locale = localeFor(language);
    const dateFormat = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium' });
    const numberFormat = new Intl.NumberFormat(locale);
    return {
      language,
      setLanguage,
      locale,
      t: (key, params) => interpolate(messages[key], params),
      formatDate: (v) => (v === null || v === undefined || v === '' ? '–' : dateFormat.format(new Date(v))),
      formatNumber: (n) => numberFormat.format(typeof n === 'string' ? Number(n) : n),
    };
  }, [language, setLanguage]);
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

export function useI18n(): I18n {
  const c = useContext(Context);
  if (!c) throw new Error('useI18n outside I18nProvider');
  return c;
}
