import { TranslationBundle } from '@jupyterlab/translation';
import { UseSignal } from '@jupyterlab/ui-components';
import type { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';
import { ModelBody } from '../../widgets/modelBody';
import { Format } from '../../models/format';
import { DetailSection } from '../../widgets/detailSection';
import { FileTree } from '../../widgets/artifactPreview/view';
import { useNow } from '../../widgets/hooks';
import { IChartServices, MetricChartGrid } from '../../widgets/metricChartGrid';
import { RunDetailModel } from './model';
import { RunDetailBar, RunDetailHeader } from './header';
import { Provenance } from './provenance';
import { LoggedModels } from './models';
import { Artifacts, KeyValueTable, Tags } from './sections';

/**
 * What the run detail needs beyond its model: the commands to open
 * notebooks, the shell for charts opened in the main area, the theme
 * manager. The series store and the backfill are the model's.
 */
export interface IRunDetailServices extends IChartServices {
  readonly commands?: CommandRegistry | null;
  /**
   * JupyterLab's languages, to highlight text previews.
   */
  readonly languages?: IEditorLanguageRegistry | null;
}

/**
 * The body of the run detail: renders the model whenever the run, its
 * artifacts or the panel's visibility change. It owns (and disposes) the
 * model.
 */
export class RunDetailBody extends ModelBody<
  RunDetailModel,
  IRunDetailServices
> {
  /**
   * Create the body.
   */
  constructor(options: RunDetailBody.IOptions) {
    super(options, 'jp-Trackside-RunDetailBody');
  }

  /**
   * Render the body.
   */
  protected render(): JSX.Element {
    const model = this.model;
    const connection = model.connection;
    return (
      <UseSignal signal={model.runChanged}>
        {() => (
          <UseSignal signal={model.artifactsChanged}>
            {() => (
              <UseSignal signal={model.modelsChanged}>
                {() => (
                  <UseSignal
                    signal={connection.activeChanged}
                    initialArgs={connection.isActive}
                  >
                    {(_, isActive) => (
                      <RunDetail
                        model={model}
                        isActive={isActive ?? false}
                        services={this.services}
                        trans={this.trans}
                      />
                    )}
                  </UseSignal>
                )}
              </UseSignal>
            )}
          </UseSignal>
        )}
      </UseSignal>
    );
  }
}

/**
 * A namespace for `RunDetailBody` statics.
 */
export namespace RunDetailBody {
  /**
   * The options to create the body.
   */
  export type IOptions = ModelBody.IOptions<RunDetailModel, IRunDetailServices>;
}

/**
 * The detail of one run: header, where it came from, params, latest
 * metrics, tags, artifacts and one chart per metric key.
 *
 * Every string from the run is rendered as a React text node.
 */
export function RunDetail(props: {
  model: RunDetailModel;
  isActive: boolean;
  services: IRunDetailServices;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, isActive, services, trans } = props;
  const runId = model.runId;
  const state = { run: model.run, error: model.error };
  const artifacts = { list: model.artifacts, error: model.artifactsError };
  const now = useNow(isActive && model.isRunning, 1000);
  const headingRef = React.useRef<HTMLHeadingElement>(null);

  React.useEffect(() => {
    headingRef.current?.focus();
  }, [runId]);

  const back = (
    <RunDetailBar onBack={() => model.connection.showList()} trans={trans} />
  );

  if (!state.run) {
    return (
      <section
        className="jp-Trackside-Detail"
        aria-label={trans.__('Run %1', runId)}
      >
        {back}
        {state.error ? (
          <p className="jp-Trackside-DetailError" role="alert">
            {state.error}
          </p>
        ) : (
          <p className="jp-Trackside-Placeholder">{trans.__('Loading run…')}</p>
        )}
      </section>
    );
  }

  const run = state.run;
  const info = run.info;
  const name = Format.runName(info);
  const duration = Format.runDurationMs(info, now);
  const keys = model.metricKeys();
  const chartRuns = [{ runId: info.run_id, name, startTime: info.start_time }];

  return (
    <section
      className="jp-Trackside-Detail"
      aria-label={trans.__('Run %1', name)}
    >
      {back}
      <RunDetailHeader info={info} headingRef={headingRef} trans={trans} />
      {state.error ? (
        <p className="jp-Trackside-DetailError" role="alert">
          {state.error}
        </p>
      ) : null}
      <dl className="jp-Trackside-DetailFacts">
        <dt>{trans.__('Run id')}</dt>
        <dd className="jp-Trackside-DetailMono">{info.run_id}</dd>
        {info.start_time !== null ? (
          <>
            <dt>{trans.__('Started')}</dt>
            <dd>{Format.dateTime(info.start_time)}</dd>
          </>
        ) : null}
        {info.end_time !== null && info.status !== 'RUNNING' ? (
          <>
            <dt>{trans.__('Ended')}</dt>
            <dd>{Format.dateTime(info.end_time)}</dd>
          </>
        ) : null}
        {duration !== null ? (
          <>
            <dt>{trans.__('Duration')}</dt>
            <dd>{Format.duration(duration, trans)}</dd>
          </>
        ) : null}
        {info.user_id ? (
          <>
            <dt>{trans.__('User')}</dt>
            <dd>{info.user_id}</dd>
          </>
        ) : null}
      </dl>

      <Provenance
        run={run}
        commands={services.commands ?? null}
        trans={trans}
        artifacts={model.artifactTree}
        languages={services.languages ?? null}
      />

      <DetailSection title={trans.__('Metrics')} count={keys.length}>
        {keys.length === 0 ? (
          <p className="jp-Trackside-DetailEmpty">{trans.__('No metrics.')}</p>
        ) : (
          <>
            <KeyValueTable
              label={trans.__('Latest metrics of %1', name)}
              rows={[...run.data.metrics].sort(Format.byKey).map(m => ({
                key: m.key,
                value: Format.metricValue(m.value),
                title: trans.__('%1 at step %2', String(m.value), m.step)
              }))}
              trans={trans}
            />
            {model.store ? (
              <MetricChartGrid
                charts={keys.map(key => ({ key, runs: chartRuns }))}
                store={model.store}
                service={model.connection.service}
                backfill={model.backfill}
                services={services}
                trans={trans}
              />
            ) : null}
          </>
        )}
      </DetailSection>

      <DetailSection
        title={trans.__('Parameters')}
        count={run.data.params.length}
      >
        {run.data.params.length === 0 ? (
          <p className="jp-Trackside-DetailEmpty">
            {trans.__('No parameters.')}
          </p>
        ) : (
          <KeyValueTable
            label={trans.__('Parameters of %1', name)}
            rows={[...run.data.params]
              .sort(Format.byKey)
              .map(p => ({ key: p.key, value: p.value }))}
            trans={trans}
          />
        )}
      </DetailSection>

      <Tags tags={run.data.tags} name={name} trans={trans} />

      <LoggedModels
        model={model}
        commands={services.commands ?? null}
        trans={trans}
      />

      <DetailSection
        title={trans.__('Artifacts')}
        count={artifacts.list?.files.length ?? null}
      >
        {model.artifactTree && artifacts.list ? (
          <FileTree
            model={model.artifactTree}
            languages={services.languages ?? null}
            trans={trans}
          />
        ) : (
          <Artifacts state={artifacts} trans={trans} />
        )}
      </DetailSection>
    </section>
  );
}
