import { TranslationBundle } from '@jupyterlab/translation';
import { UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';
import { IServedModel } from '../../tokens';
import { PayloadTableEditor } from './payloadTable';
import { PredictModel } from './predictModel';
import { PredictResultView } from './predictResult';

/**
 * The predict form of a served model: the payload as JSON (with its syntax
 * error inline) and as an editable table, Predict, and the answer.
 */
export function PredictForm(props: {
  predictor: PredictModel;
  /**
   * The served model as last fetched (its state may have changed since
   * the form was created).
   */
  served: IServedModel | null;
  trans: TranslationBundle;
}): JSX.Element {
  const { predictor, trans } = props;
  return (
    <UseSignal signal={predictor.changed}>
      {() => (
        <PredictFormContent
          predictor={predictor}
          served={props.served}
          trans={trans}
        />
      )}
    </UseSignal>
  );
}

function PredictFormContent(props: {
  predictor: PredictModel;
  served: IServedModel | null;
  trans: TranslationBundle;
}): JSX.Element {
  const { predictor, served, trans } = props;
  const editorId = React.useId();
  const errorId = React.useId();
  const label = trans.__(
    '%1 version %2',
    predictor.served.name,
    predictor.served.version
  );
  const isReady = served?.state === 'ready';
  const jsonError = predictor.jsonError;
  const busy = predictor.isPredicting;
  return (
    <section
      className="jp-Trackside-PredictForm"
      aria-label={trans.__('Predict with %1', label)}
    >
      <h4 className="jp-Trackside-DetailSectionTitle">
        {trans.__('Predict with %1', label)}
      </h4>
      <ExampleNote predictor={predictor} trans={trans} />
      <label className="jp-Trackside-PredictLabel" htmlFor={editorId}>
        {trans.__('Payload (JSON)')}
      </label>
      <textarea
        id={editorId}
        className="jp-Trackside-PredictJsonEditor"
        spellCheck={false}
        rows={10}
        value={predictor.text}
        disabled={busy}
        aria-invalid={jsonError !== null}
        aria-describedby={jsonError ? errorId : undefined}
        onChange={event => predictor.setText(event.target.value)}
      />
      {jsonError ? (
        <p id={errorId} className="jp-Trackside-ServingError" role="alert">
          {jsonError.line !== null
            ? trans.__(
                'Line %1, column %2: %3',
                jsonError.line,
                jsonError.column ?? 1,
                jsonError.message
              )
            : jsonError.message}
        </p>
      ) : null}
      {predictor.table ? (
        <PayloadTableEditor
          table={predictor.table}
          disabled={busy || predictor.isTableStale}
          onCell={(r, c, text) => predictor.setCell(r, c, text)}
          onRename={(c, name) => predictor.renameColumn(c, name)}
          trans={trans}
        />
      ) : (
        <p className="jp-Trackside-Placeholder">
          {trans.__('This payload is not a table; edit it as JSON.')}
        </p>
      )}
      <div className="jp-Trackside-PredictActions">
        <button
          type="button"
          className="jp-Button jp-mod-styled jp-mod-accept"
          disabled={!predictor.canPredict || !isReady}
          title={
            !isReady
              ? trans.__('The model is not ready')
              : jsonError
                ? trans.__('Fix the JSON first')
                : ''
          }
          onClick={() => void predictor.predict()}
        >
          {busy ? trans.__('Predicting…') : trans.__('Predict')}
        </button>
      </div>
      {predictor.requestError ? (
        <p className="jp-Trackside-ServingError" role="alert">
          {predictor.requestError}
        </p>
      ) : null}
      {predictor.result ? (
        <PredictResultView result={predictor.result} trans={trans} />
      ) : null}
    </section>
  );
}

/**
 * Where the prefilled payload came from.
 */
function ExampleNote(props: {
  predictor: PredictModel;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { predictor, trans } = props;
  switch (predictor.exampleState) {
    case 'loading':
      return (
        <p className="jp-Trackside-Placeholder">
          {trans.__('Loading the input example…')}
        </p>
      );
    case 'loaded':
      return (
        <p className="jp-Trackside-PredictNote">
          {trans.__('Prefilled from %1', predictor.examplePath ?? '')}
        </p>
      );
    case 'none':
      return (
        <p className="jp-Trackside-PredictNote">
          {trans.__('This model was logged without an input example.')}
        </p>
      );
    case 'failed':
      return (
        <p className="jp-Trackside-ServingError">
          {trans.__(
            'The input example could not be read: %1',
            predictor.exampleError ?? ''
          )}
        </p>
      );
  }
}
