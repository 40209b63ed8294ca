import { TranslationBundle } from '@jupyterlab/translation';
import { caretDownIcon, caretRightIcon } from '@jupyterlab/ui-components';
import * as React from 'react';
import { Format } from '../../models/format';
import { IRun } from '../../tokens';
import { RunsTableModel } from './tableModel';

/**
 * The number of metrics shown per run in the metrics summary.
 */
const METRICS_SHOWN = 3;

/**
 * The properties of one run row.
 */
export interface IRunRowProps {
  row: RunsTableModel.IRow;
  /**
   * The index of the row among all rows (0-based).
   */
  index: number;
  top: number;
  columns: ReadonlyArray<RunsTableModel.ColumnId>;
  /**
   * The current time for a running run, 0 otherwise (stable props).
   */
  now: number;
  selected: boolean;
  hasNesting: boolean;
  onOpen: (runId: string) => void;
  onSelect: (runId: string, selected: boolean) => void;
  onCollapse: (runId: string, collapsed: boolean) => void;
  trans: TranslationBundle;
}

/**
 * One run of the table.
 */
function RunRowComponent(props: IRunRowProps): JSX.Element {
  const { row, index, top, columns, selected, hasNesting, trans } = props;
  const { run, depth } = row;
  const { info, data } = run;
  const now = props.now || Date.now();
  const isRunning = info.status === 'RUNNING';
  const name = Format.runName(info);
  const duration = Format.runDurationMs(info, now);
  const chosenMetrics = new Set(
    columns
      .map(RunsTableModel.parseColumn)
      .filter(parsed => parsed?.kind === 'metric')
      .map(parsed => parsed!.key)
  );
  const others = Format.topMetrics(
    data.metrics.filter(metric => !chosenMetrics.has(metric.key)),
    data.metrics.length
  );
  const metrics = others.slice(0, METRICS_SHOWN);
  const hidden = others.slice(METRICS_SHOWN);

  let className = 'jp-Trackside-Run';
  if (isRunning) {
    className += ' jp-mod-running';
  }
  if (selected) {
    className += ' jp-mod-selected';
  }
  if (depth > 0) {
    className += ' jp-mod-child';
  }

  return (
    <tr
      role="row"
      aria-rowindex={index + 2}
      aria-selected={selected}
      className={className}
      data-run-id={info.run_id}
      data-status={info.status}
      style={
        {
          top,
          '--jp-trackside-run-depth': depth
        } as React.CSSProperties
      }
    >
      <td role="cell" className="jp-Trackside-RunSelect">
        <input
          type="checkbox"
          checked={selected}
          aria-label={trans.__('Select %1 for comparison', name)}
          onChange={event =>
            props.onSelect(info.run_id, event.currentTarget.checked)
          }
        />
      </td>
      <th
        role="rowheader"
        scope="row"
        className="jp-Trackside-RunName"
        aria-label={name}
      >
        {hasNesting &&
          (row.childCount > 0 ? (
            <button
              type="button"
              className="jp-Trackside-RunToggle"
              aria-expanded={!row.collapsed}
              aria-label={trans._n(
                '%2: %1 child run',
                '%2: %1 child runs',
                row.childCount,
                name
              )}
              title={trans._n('%1 child run', '%1 child runs', row.childCount)}
              onClick={() => props.onCollapse(info.run_id, !row.collapsed)}
            >
              {row.collapsed ? (
                <caretRightIcon.react tag="span" />
              ) : (
                <caretDownIcon.react tag="span" />
              )}
            </button>
          ) : (
            <span className="jp-Trackside-RunToggleSpacer" aria-hidden="true" />
          ))}
        <button
          type="button"
          className="jp-Trackside-RunLink"
          title={
            name === info.run_id
              ? trans.__('Open run %1', name)
              : trans.__('Open %1 (run id %2)', name, info.run_id)
          }
          onClick={() => props.onOpen(info.run_id)}
        >
          {name}
        </button>
        {row.collapsed && (
          <span className="jp-Trackside-RunChildCount">
            {trans.__('+%1', row.childCount)}
          </span>
        )}
      </th>
      <td role="cell" className="jp-Trackside-RunState">
        <span
          className={`jp-Trackside-RunStatus jp-mod-${info.status.toLowerCase()}${
            isRunning ? ' jp-mod-running' : ''
          }`}
          title={isRunning ? trans.__('Live: the run is still running') : ''}
        >
          {Format.runStatus(info.status, trans)}
        </span>
      </td>
      <td role="cell" className="jp-Trackside-RunStart">
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
      <td
        role="cell"
        className="jp-Trackside-RunDuration"
        title={trans.__('Duration')}
      >
        {duration !== null ? Format.duration(duration, trans) : '—'}
      </td>
      {columns.map(column => (
        <ValueCell key={column} run={run} column={column} />
      ))}
      <td role="cell" className="jp-Trackside-RunMetrics">
        {metrics.length === 0 ? (
          chosenMetrics.size === 0 ? (
            <span className="jp-Trackside-NoMetrics">
              {trans.__('no metrics')}
            </span>
          ) : null
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

export const RunRow = React.memo(RunRowComponent);

/**
 * The cell of a chosen param or metric: `key=value`, the key only shown in
 * the two-line layout (the column header names it in the wide one).
 */
function ValueCell(props: {
  run: IRun;
  column: RunsTableModel.ColumnId;
}): JSX.Element {
  const { run, column } = props;
  const parsed = RunsTableModel.parseColumn(column);
  let text = '—';
  let title = '';
  if (parsed?.kind === 'param') {
    const param = run.data.params.find(p => p.key === parsed.key);
    if (param) {
      text = param.value;
      title = `${param.key}=${param.value}`;
    }
  } else if (parsed?.kind === 'metric') {
    const metric = run.data.metrics.find(m => m.key === parsed.key);
    if (metric) {
      text = Format.metricValue(metric.value);
      title = `${metric.key}=${String(metric.value)}`;
    }
  }
  return (
    <td
      role="cell"
      className={`jp-Trackside-RunValue jp-mod-${parsed?.kind ?? 'value'}`}
      title={title}
    >
      <span className="jp-Trackside-RunValueKey" aria-hidden="true">
        {parsed?.key ?? ''}=
      </span>
      <span className="jp-Trackside-MetricValue">{text}</span>
    </td>
  );
}
