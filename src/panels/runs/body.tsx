import { TranslationBundle } from '@jupyterlab/translation';
import { UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';
import { TracksideModel } from '../../models/tracksideModel';
import { ExperimentList } from './experimentList';
import { RunsModel } from './model';

/**
 * The runs list of the panel: the error state with its Retry button and the
 * experiments with their runs. Renders only while the panel shows the list.
 *
 * A React component rather than a widget: the sidebar renders it in the
 * same React root as the status header, so that both show a new error in
 * the same frame.
 */
export function RunsBody(props: {
  model: RunsModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const connection = model.connection;
  return (
    <UseSignal signal={connection.viewChanged}>
      {() =>
        connection.view.kind !== 'list' ? null : (
          <UseSignal signal={connection.errorChanged}>
            {() => (
              <>
                <ErrorState
                  error={connection.error}
                  onRetry={() => model.refresh()}
                  trans={trans}
                />
                <UseSignal signal={model.experimentsChanged}>
                  {() => <Experiments model={model} trans={trans} />}
                </UseSignal>
              </>
            )}
          </UseSignal>
        )
      }
    </UseSignal>
  );
}

/**
 * The error alert with a Retry button; nothing when there is no error.
 */
function ErrorState(props: {
  error: TracksideModel.IError | null;
  onRetry: () => Promise<void>;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { error, onRetry, trans } = props;
  const [retrying, setRetrying] = React.useState(false);
  if (error === null) {
    return null;
  }
  const title =
    error.kind !== 'unreachable'
      ? trans.__('The request failed.')
      : error.status === 0
        ? trans.__('Cannot reach the Jupyter server.')
        : trans.__('Cannot reach the MLflow tracking server.');
  const retry = async () => {
    setRetrying(true);
    try {
      await onRetry();
    } finally {
      setRetrying(false);
    }
  };
  return (
    <div className="jp-Trackside-Error" role="alert">
      <p className="jp-Trackside-ErrorTitle">{title}</p>
      <p className="jp-Trackside-ErrorMessage">{error.message}</p>
      <button
        type="button"
        className="jp-Button jp-mod-styled jp-mod-reject jp-Trackside-Retry"
        disabled={retrying}
        onClick={() => void retry()}
      >
        {trans.__('Retry')}
      </button>
    </div>
  );
}

/**
 * The experiments, or a placeholder when there are none yet.
 */
function Experiments(props: {
  model: RunsModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const experiments = model.experiments;
  if (experiments === null) {
    return model.connection.error ? (
      <></>
    ) : (
      <p className="jp-Trackside-Placeholder">
        {trans.__('Loading experiments…')}
      </p>
    );
  }
  if (experiments.length === 0) {
    return (
      <p className="jp-Trackside-Placeholder jp-Trackside-Empty">
        {trans.__(
          'No experiments yet. Runs logged to MLflow from a notebook appear here.'
        )}
      </p>
    );
  }
  return (
    <ExperimentList model={model} experiments={experiments} trans={trans} />
  );
}
