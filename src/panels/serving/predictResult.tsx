import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { IPredictResult } from '../../tokens';
import { PayloadTable } from './payload';
import { displayPredictions } from './predictions';

/**
 * The answer of a predict request: the latency, then the predictions (a
 * table or JSON text) or MLflow's error for the payload. All text.
 */
export function PredictResultView(props: {
  result: IPredictResult;
  trans: TranslationBundle;
}): JSX.Element {
  const { result, trans } = props;
  return (
    <section
      className="jp-Trackside-PredictResult"
      aria-label={trans.__('Prediction result')}
    >
      <p className="jp-Trackside-PredictLatency">
        {result.latency_ms !== null
          ? trans.__(
              'HTTP %1 in %2 ms',
              result.status,
              result.latency_ms.toFixed(1)
            )
          : trans.__('HTTP %1', result.status)}
      </p>
      {result.error ? (
        <div className="jp-Trackside-PredictError" role="alert">
          {result.error.error_code ? (
            <strong className="jp-Trackside-PredictErrorCode">
              {result.error.error_code}
            </strong>
          ) : null}
          <pre className="jp-Trackside-PredictErrorMessage">
            {result.error.message}
          </pre>
        </div>
      ) : null}
      {result.has_predictions ? (
        <Predictions predictions={result.predictions} trans={trans} />
      ) : null}
    </section>
  );
}

/**
 * Predictions as a table when they are a list of scalars or records, as
 * pretty JSON otherwise.
 */
function Predictions(props: {
  predictions: unknown;
  trans: TranslationBundle;
}): JSX.Element {
  const { trans } = props;
  const display = displayPredictions(props.predictions);
  if (display.kind === 'json') {
    return (
      <pre
        className="jp-Trackside-PredictJson"
        aria-label={trans.__('Predictions')}
      >
        {display.text}
      </pre>
    );
  }
  const columns = display.columns ?? [trans.__('Prediction')];
  return (
    <table
      className="jp-Trackside-PredictTable"
      aria-label={trans.__('Predictions')}
    >
      <thead>
        <tr>
          <th scope="col">{trans.__('Row')}</th>
          {columns.map((name, c) => (
            <th key={c} scope="col">
              {name}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {display.rows.map((row, r) => (
          <tr key={r}>
            <th scope="row">{r + 1}</th>
            {row.map((cell, c) => (
              <td key={c}>{PayloadTable.cellText(cell)}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
