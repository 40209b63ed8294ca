import { TranslationBundle } from '@jupyterlab/translation';
import { caretDownIcon, caretRightIcon } from '@jupyterlab/ui-components';
import * as React from 'react';
import { RunsTableModel } from '../models/runsTableModel';
import { TracksideModel } from '../models/tracksideModel';
import { IRun } from '../tokens';
import { Format } from '../models/format';
import { useNow, useSignalVersion } from './hooks';
import { useTableWindow } from './tableWindow';

/**
 * The properties of the runs table.
 */
export interface IRunsTableProps {
  /**
   * The panel model (selection, navigation).
   */
  model: TracksideModel;
  /**
   * The view state of the table and the runs it shows.
   */
  table: RunsTableModel;
  experimentId: string;
  /**
   * The accessible name of the table.
   */
  label: string;
  /**
   * Whether live values (running durations) should tick.
   */
  isLive: boolean;
  /**
   * Whether the runs are being (re)loaded.
   */
  isBusy?: boolean;
  trans: TranslationBundle;
}

/**
 * The number of metrics shown per run in the metrics summary.
 */
const METRICS_SHOWN = 3;

/**
 * The period of the running-duration clock, in milliseconds.
 */
const CLOCK_PERIOD = 1000;

/**
 * A virtualized table of runs: selection, status, name, start time,
 * duration, the chosen params and metrics, and a metrics summary.
 *
 * Only the rows in (and near) the viewport are in the DOM; rows have a fixed
 * height, set by the stylesheet (`--jp-trackside-run-height`) so that the
 * narrow two-line layout and the wide one-line layout (a container query)
 * both window exactly. Table semantics stay (`role`s, `aria-rowcount`,
 * `aria-rowindex`, `aria-sort`). All run data is rendered as text nodes.
 */
export function RunsTable(props: IRunsTableProps): JSX.Element {
  const { model, table, experimentId, label, isLive, isBusy, trans } = props;
  const version = useSignalVersion(table.changed);
  useSignalVersion(model.selectionChanged);
  const rows = table.rows;
  const columns = table.columns;
  const sort = table.sort;
  const hasRunning = React.useMemo(
    () => table.runs.some(run => run.info.status === 'RUNNING'),
    [table.runs]
  );
  const now = useNow(isLive && hasRunning, CLOCK_PERIOD);
  const hasNesting = React.useMemo(
    () => rows.some(row => row.depth > 0 || row.childCount > 0),
    [rows]
  );

  const tableRef = React.useRef<HTMLTableElement>(null);
  const bodyRef = React.useRef<HTMLTableSectionElement>(null);
  const { range, rowHeight } = useTableWindow(
    tableRef,
    bodyRef,
    rows.length,
    version
  );

  const onOpen = React.useCallback(
    (runId: string) => model.showRun(experimentId, runId),
    [model, experimentId]
  );
  const onSelect = React.useCallback(
    (runId: string, selected: boolean) => model.setSelected(runId, selected),
    [model]
  );
  const onCollapse = React.useCallback(
    (runId: string, collapsed: boolean) => table.setCollapsed(runId, collapsed),
    [table]
  );

  const headers: { id: RunsTableModel.ColumnId; label: string }[] = [
    { id: 'name', label: trans.__('Run') },
    { id: 'status', label: trans.__('Status') },
    { id: 'start', label: trans.__('Started') },
    { id: 'duration', label: trans.__('Duration') },
    ...columns.map(column => ({
      id: column,
      label: RunsTableModel.parseColumn(column)?.key ?? column
    }))
  ];
  const template = [
    'var(--jp-trackside-col-select)',
    'var(--jp-trackside-col-name)',
    'var(--jp-trackside-col-status)',
    'var(--jp-trackside-col-start)',
    'var(--jp-trackside-col-duration)',
    ...columns.map(() => 'var(--jp-trackside-col-value)'),
    'var(--jp-trackside-col-metrics)'
  ].join(' ');

  const visible = rows.slice(range.start, range.end);
  return (
    <table
      ref={tableRef}
      role="table"
      className="jp-Trackside-RunsTable"
      aria-label={label}
      aria-rowcount={rows.length + 1}
      aria-colcount={headers.length + 2}
      aria-busy={isBusy ? true : undefined}
      style={
        {
          '--jp-trackside-run-columns': template
        } as React.CSSProperties
      }
    >
      <thead role="rowgroup">
        <tr role="row" aria-rowindex={1} className="jp-Trackside-RunsHeader">
          <th
            role="columnheader"
            scope="col"
            className="jp-Trackside-RunSelect"
          >
            <span className="jp-Trackside-VisuallyHidden">
              {trans.__('Select')}
            </span>
          </th>
          {headers.map(header => {
            const direction =
              sort?.column === header.id ? sort.direction : undefined;
            return (
              <th
                key={header.id}
                role="columnheader"
                scope="col"
                aria-sort={direction ?? 'none'}
                className={`jp-Trackside-RunsColumn${
                  direction ? ' jp-mod-sorted' : ''
                }`}
                data-column={header.id}
              >
                <button
                  type="button"
                  className="jp-Trackside-SortButton"
                  title={trans.__('Sort by %1', header.label)}
                  onClick={() => table.toggleSort(header.id)}
                >
                  <span className="jp-Trackside-SortLabel">{header.label}</span>
                  <span className="jp-Trackside-SortMark" aria-hidden="true">
                    {direction === 'ascending'
                      ? '▲'
                      : direction === 'descending'
                        ? '▼'
                        : ''}
                  </span>
                </button>
              </th>
            );
          })}
          <th
            role="columnheader"
            scope="col"
            className="jp-Trackside-RunsColumn jp-Trackside-RunMetricsHeader"
          >
            {trans.__('Metrics')}
          </th>
        </tr>
      </thead>
      <tbody
        ref={bodyRef}
        role="rowgroup"
        className="jp-Trackside-RunsBody"
        style={{ height: rows.length * rowHeight }}
      >
        {visible.map((row, offset) => {
          const index = range.start + offset;
          const isRunning = row.run.info.status === 'RUNNING';
          return (
            <RunRow
              key={row.run.info.run_id}
              row={row}
              index={index}
              top={index * rowHeight}
              columns={columns}
              now={isRunning ? now : 0}
              selected={model.isSelected(row.run.info.run_id)}
              hasNesting={hasNesting}
              onOpen={onOpen}
              onSelect={onSelect}
              onCollapse={onCollapse}
              trans={trans}
            />
          );
        })}
      </tbody>
    </table>
  );
}

/**
 * The properties of one run row.
 */
interface IRunRowProps {
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
            title={trans.__('Started %1', Private.dateTime(info.start_time))}
          >
            {Private.shortDateTime(info.start_time, now)}
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

const RunRow = React.memo(RunRowComponent);

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

/**
 * A namespace for private helpers.
 */
namespace Private {
  /**
   * Date formatters, created once: `toLocaleString` with options builds a
   * formatter per call, too slow for rows rendered while scrolling.
   * Same output as `Format.dateTime` and `Format.shortDateTime`.
   */
  const formats = {
    dateTime: new Intl.DateTimeFormat(undefined, {
      dateStyle: 'short',
      timeStyle: 'medium'
    }),
    time: new Intl.DateTimeFormat(undefined, {
      hour: 'numeric',
      minute: '2-digit'
    }),
    dayMonth: new Intl.DateTimeFormat(undefined, {
      month: 'short',
      day: 'numeric'
    }),
    date: new Intl.DateTimeFormat(undefined, { dateStyle: 'short' })
  };

  /**
   * A date and time in the user's locale.
   */
  export function dateTime(ms: number): string {
    return formats.dateTime.format(ms);
  }

  /**
   * The time on the same day, the day and month in the same year, else a
   * short date.
   */
  export function shortDateTime(ms: number, now: number): string {
    const date = new Date(ms);
    const today = new Date(now);
    if (date.toDateString() === today.toDateString()) {
      return formats.time.format(date);
    }
    if (date.getFullYear() === today.getFullYear()) {
      return formats.dayMonth.format(date);
    }
    return formats.date.format(date);
  }
}
