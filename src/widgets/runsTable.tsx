import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { IRun } from '../tokens';
import { Format } from './format';

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
 * All run data is rendered as text nodes.
 */
export function RunsTable(props: IRunsTableProps): JSX.Element {
  const { runs, label, isLive, trans } = props;
  const hasRunning = runs.some(run => run.info.status === 'RUNNING');
  const now = useNow(isLive && hasRunning);

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
  const duration = Format.runDurationMs(info, now);
  const metrics = Format.topMetrics(data.metrics, METRICS_SHOWN);
  const hidden = data.metrics.length - metrics.length;

  return (
    <tr
      className={`jp-Trackside-Run${isRunning ? ' jp-mod-running' : ''}`}
      data-run-id={info.run_id}
      data-status={info.status}
    >
      <th scope="row" className="jp-Trackside-RunName" title={info.run_id}>
        {Format.runName(info)}
      </th>
      <td>
        <span
          className={`jp-Trackside-RunStatus${
            isRunning ? ' jp-mod-running' : ''
          }`}
        >
          {Format.runStatus(info.status, trans)}
        </span>
      </td>
      <td className="jp-Trackside-RunStart">
        {info.start_time !== null ? (
          <time dateTime={new Date(info.start_time).toISOString()}>
            {Format.dateTime(info.start_time)}
          </time>
        ) : (
          '—'
        )}
      </td>
      <td className="jp-Trackside-RunDuration">
        {duration !== null ? Format.duration(duration, trans) : '—'}
      </td>
      <td className="jp-Trackside-RunMetrics">
        {metrics.length === 0 ? (
          '—'
        ) : (
          <ul className="jp-Trackside-MetricList">
            {metrics.map(metric => (
              <li key={metric.key} className="jp-Trackside-Metric">
                <span className="jp-Trackside-MetricKey">{metric.key}</span>=
                <span className="jp-Trackside-MetricValue">
                  {Format.metricValue(metric.value)}
                </span>
              </li>
            ))}
            {hidden > 0 && (
              <li className="jp-Trackside-Metric jp-mod-more">
                {trans._n('+%1 more', '+%1 more', hidden)}
              </li>
            )}
          </ul>
        )}
      </td>
    </tr>
  );
}

/**
 * The current time, ticking every second while enabled.
 */
function useNow(enabled: boolean): number {
  const [now, setNow] = React.useState(() => Date.now());
  React.useEffect(() => {
    if (!enabled) {
      return;
    }
    setNow(Date.now());
    const handle = setInterval(() => setNow(Date.now()), CLOCK_PERIOD);
    return () => clearInterval(handle);
  }, [enabled]);
  return now;
}
