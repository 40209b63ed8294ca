import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { IRun } from '../tokens';
import { Format } from './format';
import { useNow } from './hooks';

/**
 * The properties of the runs table.
 */
export interface IRunsTableProps {
  /**
   * The runs to show.
   */
  runs: ReadonlyArray<IRun>;
  /**
   * The accessible name of the table.
   */
  label: string;
  /**
   * Whether live values (running durations) should tick.
   */
  isLive: boolean;
  trans: TranslationBundle;
}

/**
 * The number of metrics shown per run.
 */
const METRICS_SHOWN = 3;

/**
 * The period of the running-duration clock, in milliseconds.
 */
const CLOCK_PERIOD = 1000;

/**
 * A table of runs: name, status, start time, duration and latest metrics.
 *
 * In a narrow sidebar each row lays out on two lines (name and status, then
 * start, duration and metrics); in a wide one it is a classic table. The
 * layout is pure CSS (container queries), so the table semantics stay.
 * All run data is rendered as text nodes.
 */
export function RunsTable(props: IRunsTableProps): JSX.Element {
  const { runs, label, isLive, trans } = props;
  const hasRunning = runs.some(run => run.info.status === 'RUNNING');
  const now = useNow(isLive && hasRunning, CLOCK_PERIOD);

  return (
    <table className="jp-Trackside-RunsTable" aria-label={label}>
      <thead>
        <tr>
          <th scope="col">{trans.__('Run')}</th>
          <th scope="col">{trans.__('Status')}</th>
          <th scope="col">{trans.__('Started')}</th>
          <th scope="col">{trans.__('Duration')}</th>
          <th scope="col">{trans.__('Metrics')}</th>
        </tr>
      </thead>
      <tbody>
        {runs.map(run => (
          <RunRow key={run.info.run_id} run={run} now={now} trans={trans} />
        ))}
      </tbody>
    </table>
  );
}

/**
 * One run of the table.
 */
function RunRow(props: {
  run: IRun;
  now: number;
  trans: TranslationBundle;
}): JSX.Element {
  const { run, now, trans } = props;
  const { info, data } = run;
  const isRunning = info.status === 'RUNNING';
  const name = Format.runName(info);
  const duration = Format.runDurationMs(info, now);
  const metrics = Format.topMetrics(data.metrics, METRICS_SHOWN);
  const hidden = Format.topMetrics(data.metrics, data.metrics.length).slice(
    metrics.length
  );

  return (
    <tr
      className={`jp-Trackside-Run${isRunning ? ' jp-mod-running' : ''}`}
      data-run-id={info.run_id}
      data-status={info.status}
    >
      <th
        scope="row"
        className="jp-Trackside-RunName"
        title={
          name === info.run_id
            ? name
            : trans.__('%1 (run id %2)', name, info.run_id)
        }
      >
        {name}
      </th>
      <td className="jp-Trackside-RunState">
        <span
          className={`jp-Trackside-RunStatus jp-mod-${info.status.toLowerCase()}${
            isRunning ? ' jp-mod-running' : ''
          }`}
        >
          {Format.runStatus(info.status, trans)}
        </span>
      </td>
      <td className="jp-Trackside-RunStart">
        {info.start_time !== null ? (
          <time
            dateTime={new Date(info.start_time).toISOString()}
            title={trans.__('Started %1', Format.dateTime(info.start_time))}
          >
            {Format.shortDateTime(info.start_time, now)}
          </time>
        ) : (
          <span title={trans.__('Start time unknown')}>—</span>
        )}
      </td>
      <td className="jp-Trackside-RunDuration" title={trans.__('Duration')}>
        {duration !== null ? Format.duration(duration, trans) : '—'}
      </td>
      <td className="jp-Trackside-RunMetrics">
        {metrics.length === 0 ? (
          <span className="jp-Trackside-NoMetrics">
            {trans.__('no metrics')}
          </span>
        ) : (
          <ul className="jp-Trackside-MetricList">
            {metrics.map(metric => (
              <li
                key={metric.key}
                className="jp-Trackside-Metric"
                title={trans.__(
                  '%1 = %2 (step %3)',
                  metric.key,
                  String(metric.value),
                  metric.step
                )}
              >
                <span className="jp-Trackside-MetricKey">{metric.key}</span>=
                <span className="jp-Trackside-MetricValue">
                  {Format.metricValue(metric.value)}
                </span>
              </li>
            ))}
            {hidden.length > 0 && (
              <li
                className="jp-Trackside-Metric jp-mod-more"
                title={hidden
                  .map(
                    metric =>
                      `${metric.key}=${Format.metricValue(metric.value)}`
                  )
                  .join('\n')}
              >
                {trans._n('+%1 more', '+%1 more', hidden.length)}
              </li>
            )}
          </ul>
        )}
      </td>
    </tr>
  );
}
