import { Textfield, ValidationMessage } from '@digdir/designsystemet-react';
import { useId } from 'react';
import { useI18n } from '../i18n';
import type { FilterProblem } from './cesql';

/** A CESQL box: on a refused filter, the hub's message and a caret under the position its parser reports. */
export function FilterField({ value, onChange, problem, label, description }: { value: string; onChange(v: string): void; problem: FilterProblem | null; label?: string; description?: string }) {
  const { t } = useI18n();
  const id = useId();
  return (
    <div className="filter-field">
      <Textfield
        label={label ?? t('filter.label')}
        description={description ?? t('filter.help')}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        className="mono"
        spellCheck={false}
        autoComplete="off"
        aria-invalid={problem ? true : undefined}
        aria-describedby={problem ? id : undefined}
      />
      {problem && (
        <div id={id} className="filter-problem">
          {problem.position !== undefined && (
            <pre className="caret" aria-hidden="true">
              {value + '\n' + ' '.repeat(Math.min(problem.position, value.length)) + '^'}
            </pre>
          )}
          <ValidationMessage>
            {problem.position !== undefined ? t('filter.errorAt', { position: problem.position + 1, message: problem.message }) : problem.message}
          </ValidationMessage>
        </div>
      )}
    </div>
  );
}
