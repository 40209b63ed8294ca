import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { Format } from '../../models/format';
import { IRun } from '../../tokens';
import { CompareData } from './data';
import { CompareModel } from './model';
import { ComparePlots } from './plots';

/**
 * The side-by-side table of loaded runs (differences only on demand, the
 * best value of each metric highlighted) and the plots below it.
 */
export function CompareTable(props: {
  model: CompareModel;
  runs: ReadonlyArray<IRun>;
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
                      {model.experimentName(run.info.experiment_id) ??
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
