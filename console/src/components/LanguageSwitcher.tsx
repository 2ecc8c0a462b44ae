import { Label, Select } from '@digdir/designsystemet-react';
import { LANGUAGES, useI18n, type Language } from '../i18n';

const NAMES: Record<Language, string> = { nb: 'Norsk bokmål', nn: 'Norsk nynorsk', en: 'English' };

/** Each language named in itself, so that a reader finds their own whatever the current one. */
export function LanguageSwitcher() {
  const { language, setLanguage, t } = useI18n();
  return (
    <div className="language">
      <Label htmlFor="language" data-size="sm">
        {t('nav.language')}
      </Label>
      <Select id="language" data-size="sm" value={language} onChange={(e) => setLanguage(e.target.value as Language)}>
        {LANGUAGES.map((l) => (
          <Select.Option key={l} value={l} lang={l}>
            {NAMES[l]}
          </Select.Option>
        ))}
      </Select>
    </div>
  );
}
