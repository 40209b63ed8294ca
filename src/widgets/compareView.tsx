import { TranslationBundle } from '@jupyterlab/translation';
import { caretLeftIcon } from '@jupyterlab/ui-components';
import * as React from 'react';
import { escapePlotlyText } from '../charts/plotly';
import { TracksideModel } from '../models/tracksideModel';
import { IRun } from '../tokens';
import { CompareCharts } from './compareCharts';
import { CompareData } from './compareData';
import { ComparePlot } from './comparePlot';
import { Format } from '../models/format';
import { IChartServices } from './metricChartGrid';

/**
 * The properties of the compare view.
 */
export interface ICompareViewProps {
  model: TracksideModel;
  runIds: ReadonlyArray<string>;
  /**
   * The series store and friends for the overlaid metric curves; without a
   * store, no curves.
   */
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
  const { model, runIds, services, trans } = props;
  const [runs, setRuns] = React.useState<IRun[] | null>(null);
  const [failures, setFailures] = React.useState<string[]>([]);
  const key = runIds.join('\n');

  React.useEffect(() => {
    let cancelled = false;
    setRuns(null);
    setFailures([]);
    void Promise.allSettled(runIds.map(id => model.service.getRun(id))).then(
      results => {
        if (cancelled || model.isDisposed) {
          return;
        }
        const loaded: IRun[] = [];
        const failed: string[] = [];
        results.forEach((result, index) => {
          if (result.status === 'fulfilled') {
            loaded.push(result.value);
          } else {
            const reason = result.reason;
            failed.push(
              trans.__(
                '%1: %2',
                runIds[index],
                reason instanceof Error ? reason.message : String(reason)
              )
            );
          }
        });
        setRuns(loaded);
        setFailures(failed);
      }
    );
    return () => {
      cancelled = true;
    };
  }, [model, key]);

  return (
    <section
      className="jp-Trackside-Compare"
      aria-label={trans.__('Comparison of %1 runs', runIds.length)}
    >
      <div className="jp-Trackside-CompareHeader">
        <button
          type="button"
          className="jp-Trackside-BackButton"
          onClick={() => model.showList()}
        >
          <caretLeftIcon.react tag="span" className="jp-Trackside-BackIcon" />
          {trans.__('Back to runs')}
        </button>
        <h3 className="jp-Trackside-CompareTitle">
          {trans._n('Compare %1 run', 'Compare %1 runs', runIds.length)}
        </h3>
      </div>
      {failures.length > 0 && (
        <div className="jp-Trackside-RunsError" role="alert">
          {trans.__('Some runs could not be loaded:')}
          <ul>
            {failures.map(text => (
              <li key={text}>{text}</li>
            ))}
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
          <CompareBody model={model} runs={runs} trans={trans} />
          {services ? (
            <CompareCharts
              runs={runs}
              service={model.service}
              services={services}
              trans={trans}
            />
          ) : null}
        </>
      )}
    </section>
  );
}

/**
 * The table and plots of loaded runs.
 */
function CompareBody(props: {
  model: TracksideModel;
  runs: IRun[];
  trans: TranslationBundle;
}): JSX.Element {
  const { model, runs, trans } = props;
  const [differencesOnly, setDifferencesOnly] = React.useState(false);
  const [goals, setGoals] = React.useState<Record<string, CompareData.Goal>>(
    {}
  );
  const goal = React.useCallback(
    (key: string) => goals[key] ?? CompareData.defaultGoal(key),
    [goals]
  );
  const keys = React.useMemo(() => CompareData.keys(runs), [runs]);
  const allRows = React.useMemo(() => CompareData.rows(runs), [runs]);
  const rows = differencesOnly ? allRows.filter(r => r.differs) : allRows;
  const hidden = allRows.length - rows.length;
  const experimentNames = new Map(
    (model.experiments ?? []).map(e => [e.experiment_id, e.name])
  );
  const severalExperiments =
    new Set(runs.map(run => run.info.experiment_id)).size > 1;

  const paramRows = rows.filter(r => r.kind === 'param');
  const metricRows = rows.filter(r => r.kind === 'metric');

  return (
    <>
      <div className="jp-Trackside-CompareToolbar">
        <button
          type="button"
          className="jp-Trackside-ToggleButton"
          aria-pressed={differencesOnly}
          onClick={() => setDifferencesOnly(!differencesOnly)}
        >
          {trans.__('Differences only')}
        </button>
        {differencesOnly && hidden > 0 && (
          <span className="jp-Trackside-CompareNote" role="status">
            {trans._n(
              '%1 identical row hidden',
              '%1 identical rows hidden',
              hidden
            )}
          </span>
        )}
      </div>
      <div className="jp-Trackside-CompareTableScroll">
        <table
          className="jp-Trackside-CompareTable"
          aria-label={trans.__('Params and metrics of %1 runs', runs.length)}
        >
          <thead>
            <tr>
              <td className="jp-Trackside-CompareCorner" />
              {runs.map(run => (
                <th
                  key={run.info.run_id}
                  scope="col"
                  className="jp-Trackside-CompareRun"
                  title={trans.__('Run id %1', run.info.run_id)}
                >
                  <span className="jp-Trackside-CompareRunName">
                    {Format.runName(run.info)}
                  </span>
                  {severalExperiments && (
                    <span className="jp-Trackside-CompareRunExperiment">
                      {experimentNames.get(run.info.experiment_id) ??
                        run.info.experiment_id}
                    </span>
                  )}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            <SectionRow
              label={trans.__('Params')}
              span={runs.length + 1}
              empty={paramRows.length === 0}
              emptyText={
                differencesOnly
                  ? trans.__('All params are the same.')
                  : trans.__('No params.')
              }
            />
            {paramRows.map(row => (
              <tr key={`param:${row.key}`} className="jp-Trackside-CompareRow">
                <th scope="row" className="jp-Trackside-CompareKey">
                  <span className="jp-Trackside-CompareKeyName">{row.key}</span>
                </th>
                {row.values.map((value, index) => (
                  <td
                    key={runs[index].info.run_id}
                    className={row.differs ? 'jp-mod-differs' : undefined}
                  >
                    {value === null ? '—' : String(value)}
                  </td>
                ))}
              </tr>
            ))}
            <SectionRow
              label={trans.__('Metrics')}
              span={runs.length + 1}
              empty={metricRows.length === 0}
              emptyText={
                differencesOnly
                  ? trans.__('All metrics are the same.')
                  : trans.__('No metrics.')
              }
            />
            {metricRows.map(row => {
              const rowGoal = goal(row.key);
              const best = new Set(
                CompareData.bestIndices(row.values, rowGoal)
              );
              return (
                <tr
                  key={`metric:${row.key}`}
                  className="jp-Trackside-CompareRow"
                >
                  <th scope="row" className="jp-Trackside-CompareKey">
                    <span className="jp-Trackside-CompareKeyName">
                      {row.key}
                    </span>
                    <select
                      className="jp-Trackside-GoalSelect"
                      value={rowGoal}
                      aria-label={trans.__('Best value of %1', row.key)}
                      title={trans.__('Which value of %1 is the best', row.key)}
                      onChange={event => {
                        const value = event.currentTarget
                          .value as CompareData.Goal;
                        setGoals(previous => ({
                          ...previous,
                          [row.key]: value
                        }));
                      }}
                    >
                      <option value="min">{trans.__('lower is better')}</option>
                      <option value="max">
                        {trans.__('higher is better')}
                      </option>
                    </select>
                  </th>
                  {row.values.map((value, index) => {
                    const isBest = best.has(index);
                    return (
                      <td
                        key={runs[index].info.run_id}
                        className={
                          [
                            row.differs ? 'jp-mod-differs' : '',
                            isBest ? 'jp-mod-best' : ''
                          ]
                            .join(' ')
                            .trim() || undefined
                        }
                        title={
                          typeof value === 'number' ? String(value) : undefined
                        }
                      >
                        {typeof value === 'number'
                          ? Format.metricValue(value)
                          : '—'}
                        {isBest && (
                          <span className="jp-Trackside-BestMark">
                            <span aria-hidden="true">★</span>
                            <span className="jp-Trackside-VisuallyHidden">
                              {trans.__('(best)')}
                            </span>
                          </span>
                        )}
                      </td>
                    );
                  })}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {keys.metrics.length > 0 && (
        <ComparePlots runs={runs} keys={keys} goal={goal} trans={trans} />
      )}
    </>
  );
}

/**
 * A section heading row of the compare table.
 */
function SectionRow(props: {
  label: string;
  span: number;
  empty: boolean;
  emptyText: string;
}): JSX.Element {
  return (
    <>
      <tr className="jp-Trackside-CompareSection">
        <th scope="colgroup" colSpan={props.span}>
          {props.label}
        </th>
      </tr>
      {props.empty && (
        <tr className="jp-Trackside-CompareEmpty">
          <td colSpan={props.span}>{props.emptyText}</td>
        </tr>
      )}
    </>
  );
}

/**
 * The parallel-coordinates plot and the scatter, with their selects.
 */
function ComparePlots(props: {
  runs: IRun[];
  keys: { params: string[]; metrics: string[] };
  goal: (key: string) => CompareData.Goal;
  trans: TranslationBundle;
}): JSX.Element {
  const { runs, keys, goal, trans } = props;
  const defaultMetric =
    keys.metrics.find(k => CompareData.defaultGoal(k) === 'min') ??
    keys.metrics[0];
  const [metric, setMetric] = React.useState(defaultMetric);
  const [scatterParam, setScatterParam] = React.useState(keys.params[0] ?? '');
  const [scatterMetric, setScatterMetric] = React.useState(defaultMetric);
  const parcoordsId = React.useId();
  const scatterId = React.useId();
  const scatterXId = React.useId();
  const scatterYId = React.useId();

  const chosenMetric = keys.metrics.includes(metric) ? metric : defaultMetric;
  const metricGoal = goal(chosenMetric);
  const parcoords = React.useMemo(
    () => CompareData.parcoordsDimensions(runs, chosenMetric),
    [runs, chosenMetric]
  );
  const parcoordsFigure = React.useCallback(
    (theme: ComparePlot.ITheme) => ({
      data: [
        {
          type: 'parcoords',
          dimensions: parcoords.dimensions,
          line: {
            color: parcoords.dimensions[parcoords.dimensions.length - 1].values,
            colorscale: 'Viridis',
            // The best runs are the brightest.
            reversescale: metricGoal === 'min',
            showscale: true,
            colorbar: {
              thickness: 10,
              title: { text: escapePlotlyText(chosenMetric) }
            }
          },
          labelfont: { color: theme.fontColor, size: 11 },
          tickfont: { color: theme.fontColor, size: 10 },
          rangefont: { color: theme.fontColor, size: 9 }
        }
      ],
      layout: {
        height: 280,
        margin: { l: 40, r: 30, t: 40, b: 20 },
        paper_bgcolor: 'rgba(0,0,0,0)',
        plot_bgcolor: 'rgba(0,0,0,0)',
        font: { family: theme.font, color: theme.fontColor, size: 11 }
      }
    }),
    [parcoords, chosenMetric, metricGoal]
  );

  const xKey = keys.params.includes(scatterParam)
    ? scatterParam
    : keys.params[0];
  const yKey = keys.metrics.includes(scatterMetric)
    ? scatterMetric
    : defaultMetric;
  const points = React.useMemo(
    () =>
      xKey !== undefined ? CompareData.scatterPoints(runs, xKey, yKey) : null,
    [runs, xKey, yKey]
  );
  const scatterFigure = React.useCallback(
    (theme: ComparePlot.ITheme) => ({
      data: [
        {
          type: 'scatter',
          mode: 'markers',
          x: points?.x ?? [],
          y: points?.y ?? [],
          text: points?.text ?? [],
          hovertemplate: '%{text}<br>%{x}<br>%{y}<extra></extra>',
          marker: { size: 9, color: theme.accent }
        }
      ],
      layout: {
        height: 260,
        margin: { l: 50, r: 10, t: 10, b: 45 },
        paper_bgcolor: 'rgba(0,0,0,0)',
        plot_bgcolor: 'rgba(0,0,0,0)',
        font: { family: theme.font, color: theme.fontColor, size: 11 },
        xaxis: {
          title: { text: escapePlotlyText(xKey ?? '') },
          type: points?.numeric ? '-' : 'category',
          gridcolor: theme.gridColor,
          zerolinecolor: theme.gridColor
        },
        yaxis: {
          title: { text: escapePlotlyText(yKey) },
          gridcolor: theme.gridColor,
          zerolinecolor: theme.gridColor
        }
      }
    }),
    [points, xKey, yKey]
  );

  const paramLabels = parcoords.dimensions.length - 1;
  return (
    <div className="jp-Trackside-ComparePlots">
      <section
        className="jp-Trackside-CompareChart"
        aria-labelledby={parcoordsId}
      >
        <div className="jp-Trackside-CompareChartHeader">
          <h4 id={parcoordsId}>{trans.__('Parallel coordinates')}</h4>
          <label className="jp-Trackside-CompareSelect">
            {trans.__('Metric')}
            <select
              value={chosenMetric}
              onChange={event => setMetric(event.currentTarget.value)}
            >
              {keys.metrics.map(k => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>
          </label>
        </div>
        <ComparePlot
          figure={parcoordsFigure}
          className="jp-mod-parcoords"
          loadingText={trans.__('Loading the plot…')}
          errorText={trans.__('The plot could not be loaded.')}
          summary={trans._n(
            'Parallel coordinates of %1 run: %2 param axes, then %3 (%4).',
            'Parallel coordinates of %1 runs: %2 param axes, then %3 (%4).',
            parcoords.runs.length,
            paramLabels,
            chosenMetric,
            metricGoal === 'min'
              ? trans.__('lower is better')
              : trans.__('higher is better')
          )}
        />
      </section>
      {xKey !== undefined && (
        <section
          className="jp-Trackside-CompareChart"
          aria-labelledby={scatterId}
        >
          <div className="jp-Trackside-CompareChartHeader">
            <h4 id={scatterId}>{trans.__('Scatter')}</h4>
            <label className="jp-Trackside-CompareSelect" htmlFor={scatterXId}>
              {trans.__('Param')}
            </label>
            <select
              id={scatterXId}
              value={xKey}
              onChange={event => setScatterParam(event.currentTarget.value)}
            >
              {keys.params.map(k => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>
            <label className="jp-Trackside-CompareSelect" htmlFor={scatterYId}>
              {trans.__('Metric')}
            </label>
            <select
              id={scatterYId}
              value={yKey}
              onChange={event => setScatterMetric(event.currentTarget.value)}
            >
              {keys.metrics.map(k => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>
          </div>
          <ComparePlot
            figure={scatterFigure}
            className="jp-mod-scatter"
            loadingText={trans.__('Loading the plot…')}
            errorText={trans.__('The plot could not be loaded.')}
            summary={trans._n(
              '%2 against %3 for %1 run.',
              '%2 against %3 for %1 runs.',
              points?.y.length ?? 0,
              yKey,
              xKey
            )}
          />
        </section>
      )}
    </div>
  );
}
