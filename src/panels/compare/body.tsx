import { TranslationBundle } from '@jupyterlab/translation';
import { UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';
import { ModelBody } from '../../widgets/modelBody';
import { IChartServices } from '../../widgets/metricChartGrid';
import { CompareCharts } from './charts';
import { OpenExperimentButtons } from '../../widgets/openExperimentButton';
import { CompareHeader } from './header';
import { CompareModel } from './model';
import { CompareTable } from './table';

/**
 * The body of a comparison: renders the model once its runs are loaded. It
 * owns (and disposes) the model.
 */
export class CompareBody extends ModelBody<
  CompareModel,
  IChartServices | null
> {
  /**
   * Create the body.
   */
  constructor(options: CompareBody.IOptions) {
    super(options, 'jp-Trackside-CompareBody');
  }

  /**
   * Render the body.
   */
  protected render(): JSX.Element {
    return (
      <UseSignal signal={this.model.changed}>
        {() => (
          <CompareView
            model={this.model}
            services={this.services}
            trans={this.trans}
          />
        )}
      </UseSignal>
    );
  }
}

/**
 * A namespace for `CompareBody` statics.
 */
export namespace CompareBody {
  /**
   * The options to create the body: the services are the shell, theme
   * manager and translator of the overlaid curves; no curves without the
   * model's series store.
   */
  export type IOptions = ModelBody.IOptions<
    CompareModel,
    IChartServices | null
  >;
}

/**
 * The properties of the compare view.
 */
export interface ICompareViewProps {
  model: CompareModel;
  services?: IChartServices | null;
  trans: TranslationBundle;
}

/**
 * Runs side by side: a table of params and metrics (differences only on
 * demand, the best value of each metric highlighted, lower or higher is
 * better chosen per metric), a parallel-coordinates plot of the params
 * against a chosen metric, a scatter of a param against a metric, and one
 * chart per metric key with the runs' curves overlaid.
 *
 * Run data is rendered as text; the plots get escaped strings only.
 */
export function CompareView(props: ICompareViewProps): JSX.Element {
  const { model, services, trans } = props;
  const { runIds, runs, failures } = model;
  return (
    <section
      className="jp-Trackside-Compare"
      aria-label={trans.__('Comparison of %1 runs', runIds.length)}
    >
      <CompareHeader
        count={runIds.length}
        onBack={() => model.connection.showList()}
        trans={trans}
      >
        <OpenExperimentButtons
          connection={model.connection}
          runs={runs}
          experimentName={id => model.experimentName(id)}
          trans={trans}
        />
      </CompareHeader>
      {failures.length > 0 && (
        <div className="jp-Trackside-RunsError" role="alert">
          {trans.__('Some runs could not be loaded:')}
          <ul>
            {failures.map(failure => {
              const text = trans.__('%1: %2', failure.runId, failure.message);
              return <li key={text}>{text}</li>;
            })}
          </ul>
        </div>
      )}
      {runs === null ? (
        <p className="jp-Trackside-Placeholder">{trans.__('Loading runs…')}</p>
      ) : runs.length === 0 ? (
        <p className="jp-Trackside-Placeholder">
          {trans.__('No runs to compare.')}
        </p>
      ) : (
        <>
          <CompareTable model={model} runs={runs} trans={trans} />
          {services && model.store ? (
            <CompareCharts
              runs={runs}
              store={model.store}
              backfill={model.backfill}
              service={model.connection.service}
              services={services}
              trans={trans}
            />
          ) : null}
        </>
      )}
    </section>
  );
}
