import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { Format } from '../../models/format';
import { IServedModel, ServedState } from '../../tokens';
import { ServingModel } from './model';

/**
 * The served models: name, version, state, when started, why it failed
 * (with the log tail), and Predict / Stop. Every string from the server is
 * rendered as a React text node.
 */
export function ServedList(props: {
  model: ServingModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const served = model.served;
  if (served === null) {
    return (
      <p className="jp-Trackside-Placeholder">
        {model.error ? null : trans.__('Loading served models…')}
      </p>
    );
  }
  if (served.length === 0) {
    return (
      <p className="jp-Trackside-Placeholder">
        {trans.__(
          'No model is served. Open a registered model version and press Serve.'
        )}
      </p>
    );
  }
  return (
    <ul
      className="jp-Trackside-ServedList"
      aria-label={trans.__('Served models')}
    >
      {served.map(item => (
        <ServedItem key={item.id} served={item} model={model} trans={trans} />
      ))}
    </ul>
  );
}

/**
 * One served model.
 */
function ServedItem(props: {
  served: IServedModel;
  model: ServingModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { served, model, trans } = props;
  const label = trans.__('%1 version %2', served.name, served.version);
  const isSelected = model.selectedId === served.id;
  const isStopping = model.isStopping(served.id);
  const stopError = model.stopError(served.id);
  const isLive = served.state === 'starting' || served.state === 'ready';
  return (
    <li
      className={`jp-Trackside-ServedItem${isSelected ? ' jp-mod-selected' : ''}`}
      aria-label={label}
    >
      <div className="jp-Trackside-ServedHeader">
        <span className="jp-Trackside-ServedName">{served.name}</span>
        <span className="jp-Trackside-ServedVersion">
          {trans.__('v%1', served.version)}
        </span>
        <span
          className={`jp-Trackside-ServedState jp-mod-${served.state}`}
          role="status"
          aria-label={trans.__('State of %1', label)}
        >
          {stateLabel(served.state, trans)}
        </span>
      </div>
      {served.started_at !== null ? (
        <div className="jp-Trackside-ServedFacts">
          {trans.__('Started %1', Format.dateTime(served.started_at))}
        </div>
      ) : null}
      {served.message ? (
        <p className="jp-Trackside-ServedMessage">{served.message}</p>
      ) : null}
      {served.state === 'failed' && served.log_tail ? (
        <pre
          className="jp-Trackside-ServedLog"
          aria-label={trans.__('Log of %1', label)}
        >
          {served.log_tail}
        </pre>
      ) : null}
      {stopError ? (
        <p className="jp-Trackside-ServingError" role="alert">
          {stopError}
        </p>
      ) : null}
      <div className="jp-Trackside-ServedActions">
        {served.state === 'ready' ? (
          <button
            type="button"
            className="jp-Button jp-mod-styled jp-mod-accept"
            aria-label={trans.__('Predict with %1', label)}
            aria-pressed={isSelected}
            onClick={() => model.select(served.id)}
          >
            {trans.__('Predict')}
          </button>
        ) : null}
        {isLive ? (
          <button
            type="button"
            className="jp-Button jp-mod-styled jp-mod-reject"
            aria-label={trans.__('Stop %1', label)}
            disabled={isStopping}
            onClick={() => void model.stop(served.id)}
          >
            {isStopping ? trans.__('Stopping…') : trans.__('Stop')}
          </button>
        ) : null}
      </div>
    </li>
  );
}

/**
 * The translated label of a state.
 */
export function stateLabel(
  state: ServedState,
  trans: TranslationBundle
): string {
  switch (state) {
    case 'starting':
      return trans.__('starting');
    case 'ready':
      return trans.__('ready');
    case 'failed':
      return trans.__('failed');
    case 'stopped':
      return trans.__('stopped');
  }
}
