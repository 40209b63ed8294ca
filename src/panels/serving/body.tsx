import { TranslationBundle } from '@jupyterlab/translation';
import { UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';
import { ModelBody } from '../../widgets/modelBody';
import { ServingModel } from './model';
import { PredictForm } from './predictForm';
import { ServedList } from './servedList';

/**
 * The body of the served models view: the list and the predict form of
 * the selected one. It owns (and disposes) the model.
 */
export class ServingBody extends ModelBody<ServingModel, null> {
  /**
   * Create the body.
   */
  constructor(options: ServingBody.IOptions) {
    super(options, 'jp-Trackside-ServingBody');
  }

  /**
   * Render the body.
   */
  protected render(): JSX.Element {
    return (
      <UseSignal signal={this.model.changed}>
        {() => <ServingView model={this.model} trans={this.trans} />}
      </UseSignal>
    );
  }
}

/**
 * A namespace for `ServingBody` statics.
 */
export namespace ServingBody {
  /**
   * The options to create the body.
   */
  export type IOptions = ModelBody.IOptions<ServingModel, null>;
}

/**
 * The served models and, below, the predict form of the selected one.
 */
export function ServingView(props: {
  model: ServingModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const predictor = model.predictor;
  return (
    <section
      className="jp-Trackside-Detail jp-Trackside-Serving"
      aria-label={trans.__('Served models')}
    >
      <div className="jp-Trackside-DetailBar">
        <button
          type="button"
          className="jp-Button jp-mod-minimal jp-Trackside-DetailBack"
          onClick={() => model.connection.showModels()}
        >
          {trans.__('← Models')}
        </button>
      </div>
      <h3 className="jp-Trackside-DetailName">{trans.__('Served models')}</h3>
      {model.error ? (
        <p className="jp-Trackside-ServingError" role="alert">
          {model.error}
        </p>
      ) : null}
      <ServedList model={model} trans={trans} />
      {predictor ? (
        <PredictForm
          key={predictor.served.id}
          predictor={predictor}
          served={model.selected}
          trans={trans}
        />
      ) : null}
    </section>
  );
}
