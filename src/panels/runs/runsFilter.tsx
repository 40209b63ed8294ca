import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { RunsModel } from './model';

/**
 * The properties of the runs filter.
 */
export interface IRunsFilterProps {
  model: RunsModel;
  experimentId: string;
  experimentName: string;
  trans: TranslationBundle;
}

/**
 * The search box of an experiment's runs: an MLflow filter expression sent
 * to the server on Enter; the server's error is shown next to the box and
 * the previous runs stay.
 */
export function RunsFilter(props: IRunsFilterProps): JSX.Element {
  const { model, experimentId, experimentName, trans } = props;
  const [text, setText] = React.useState(() => model.filter(experimentId));
  const [pending, setPending] = React.useState(false);
  const errorId = React.useId();
  const error = model.filterError(experimentId);
  const mounted = React.useRef(true);
  React.useEffect(
    () => () => {
      mounted.current = false;
    },
    []
  );

  const apply = async (value: string) => {
    setPending(true);
    try {
      await model.setFilter(experimentId, value);
    } finally {
      if (mounted.current) {
        setPending(false);
      }
    }
  };

  return (
    <div className="jp-Trackside-RunsFilterBox">
      <form
        role="search"
        className="jp-Trackside-RunsFilter"
        aria-label={trans.__('Filter the runs of %1', experimentName)}
        onSubmit={event => {
          event.preventDefault();
          void apply(text);
        }}
      >
        <input
          type="search"
          className="jp-Trackside-RunsFilterInput"
          value={text}
          spellCheck={false}
          autoComplete="off"
          placeholder={trans.__("metrics.rmse < 0.8 and params.alpha = '0.5'")}
          aria-label={trans.__('Filter runs (MLflow search syntax)')}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? errorId : undefined}
          title={trans.__(
            "MLflow search syntax, e.g. metrics.rmse < 0.8 and params.alpha = '0.5'. Press Enter to apply."
          )}
          onChange={event => {
            const value = event.currentTarget.value;
            setText(value);
            // The clear button of the search box: show every run again.
            if (value === '' && model.filter(experimentId) !== '') {
              void apply('');
            }
          }}
        />
        <button
          type="submit"
          className="jp-Trackside-RunsFilterApply"
          disabled={pending}
        >
          {trans.__('Filter')}
        </button>
      </form>
      {error && (
        <p id={errorId} className="jp-Trackside-FilterError" role="alert">
          {trans.__('Invalid filter: %1', error)}
        </p>
      )}
    </div>
  );
}
