import { Paragraph } from '@digdir/designsystemet-react';
import { Screen } from '../components/common';
import { useI18n } from '../i18n';
import { AppLink } from '../router';

export function NotFoundScreen() {
  const { t } = useI18n();
  return (
    <Screen title={t('notFound.title')}>
      <Paragraph>
        <AppLink to="/">{t('notFound.back')}</AppLink>
      </Paragraph>
    </Screen>
  );
}
