import { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';
import { TracksideModel } from '../models/tracksideModel';
import { CompareView } from './compareView';
import { ExperimentList } from './experimentList';
import { IRunDetailServices, RunDetail } from './runDetail';
import { StatusHeader } from './statusHeader';

/**
 * The body of the Trackside panel: status header, error state and the
 * experiments.
 */
export class TracksideView extends ReactWidget {
  /**
   * Create the view.
   */
  constructor(options: TracksideView.IOptions) {
    super();
    this._model = options.model;
    this._trans = options.translator.load('jupyterlab_trackside');
    this._detailServices = {
      ...options.runDetail,
      translator: options.translator
    };
    this.addClass('jp-Trackside-View');
  }

  /**
   * Render the view.
   */
  protected render(): JSX.Element {
    const model = this._model;
    const trans = this._trans;
    return (
      <>
        <UseSignal signal={model.errorChanged}>
          {() => (
            <UseSignal signal={model.statusChanged}>
              {() => (
                <StatusHeader
                  status={model.status}
                  error={model.error}
                  trans={trans}
                />
              )}
            </UseSignal>
          )}
        </UseSignal>
        <UseSignal signal={model.viewChanged}>
          {() => {
            const view = model.view;
            if (view.kind === 'run') {
              return (
                <RunDetail
                  key={view.runId}
                  model={model}
                  experimentId={view.experimentId}
                  runId={view.runId}
                  services={this._detailServices}
                  trans={trans}
                />
              );
            }
            if (view.kind === 'compare') {
              return (
                <CompareView
                  model={model}
                  runIds={view.runIds}
                  services={this._detailServices}
                  trans={trans}
                />
              );
            }
            return (
              <>
                <UseSignal signal={model.errorChanged}>
                  {() => (
                    <ErrorState
                      model={model}
                      error={model.error}
                      trans={trans}
                    />
                  )}
                </UseSignal>
                <UseSignal signal={model.errorChanged}>
                  {() => (
                    <UseSignal signal={model.experimentsChanged}>
                      {() => <Experiments model={model} trans={trans} />}
                    </UseSignal>
                  )}
                </UseSignal>
              </>
            );
          }}
        </UseSignal>
      </>
    );
  }

  private _model: TracksideModel;
  private _trans: TranslationBundle;
  private _detailServices: IRunDetailServices;
}

/**
 * A namespace for `TracksideView` statics.
 */
export namespace TracksideView {
  /**
   * The options to create the view.
   */
  export interface IOptions {
    model: TracksideModel;
    translator: ITranslator;
    /**
     * What the run detail needs besides the model (series store, commands,
     * shell, theme manager); no charts without a store.
     */
    runDetail?: Omit<IRunDetailServices, 'translator'>;
  }
}

/**
 * The error alert with a Retry button; nothing when there is no error.
 */
function ErrorState(props: {
  model: TracksideModel;
  error: TracksideModel.IError | null;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { model, error, trans } = props;
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
      await model.refresh();
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
  model: TracksideModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const experiments = model.experiments;
  if (experiments === null) {
    return model.error ? (
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
