import { TranslationBundle } from '@jupyterlab/translation';
import { caretDownIcon, caretRightIcon } from '@jupyterlab/ui-components';
import * as React from 'react';
import { RunsTableModel, Windowing } from '../models/runsTableModel';
import { TracksideModel } from '../models/tracksideModel';
import { IRun } from '../tokens';
import { Format } from './format';
import { useNow } from './hooks';

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
 * Rows rendered above and below the visible ones.
 */
const OVERSCAN = 8;

/**
 * The row height before the stylesheet tells it (px).
 */
const DEFAULT_ROW_HEIGHT = 48;

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
  const version = useSignalVersion(table);
  useSelectionVersion(model);
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
  const { range, rowHeight } = useWindow(
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
 * The properties of the runs filter.
 */
export interface IRunsFilterProps {
  model: TracksideModel;
  experimentId: string;
  experimentName: string;
  trans: TranslationBundle;
}

/**
 * The search box of an experiment's runs: an MLflow filter expression sent
 * to the server on Enter; the server's error is shown next to the box and
 * the previous runs stay.
 */
export function RunsFilter(props: IRunsFilterProps): JSX.Element {
  const { model, experimentId, experimentName, trans } = props;
  const [text, setText] = React.useState(() => model.filter(experimentId));
  const [pending, setPending] = React.useState(false);
  const errorId = React.useId();
  const error = model.filterError(experimentId);
  const mounted = React.useRef(true);
  React.useEffect(
    () => () => {
      mounted.current = false;
    },
    []
  );

  const apply = async (value: string) => {
    setPending(true);
    try {
      await model.setFilter(experimentId, value);
    } finally {
      if (mounted.current) {
        setPending(false);
      }
    }
  };

  return (
    <div className="jp-Trackside-RunsFilterBox">
      <form
        role="search"
        className="jp-Trackside-RunsFilter"
        aria-label={trans.__('Filter the runs of %1', experimentName)}
        onSubmit={event => {
          event.preventDefault();
          void apply(text);
        }}
      >
        <input
          type="search"
          className="jp-Trackside-RunsFilterInput"
          value={text}
          spellCheck={false}
          autoComplete="off"
          placeholder={trans.__("metrics.rmse < 0.8 and params.alpha = '0.5'")}
          aria-label={trans.__('Filter runs (MLflow search syntax)')}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? errorId : undefined}
          title={trans.__(
            "MLflow search syntax, e.g. metrics.rmse < 0.8 and params.alpha = '0.5'. Press Enter to apply."
          )}
          onChange={event => {
            const value = event.currentTarget.value;
            setText(value);
            // The clear button of the search box: show every run again.
            if (value === '' && model.filter(experimentId) !== '') {
              void apply('');
            }
          }}
        />
        <button
          type="submit"
          className="jp-Trackside-RunsFilterApply"
          disabled={pending}
        >
          {trans.__('Filter')}
        </button>
      </form>
      {error && (
        <p id={errorId} className="jp-Trackside-FilterError" role="alert">
          {trans.__('Invalid filter: %1', error)}
        </p>
      )}
    </div>
  );
}

/**
 * The properties of the column picker.
 */
export interface IColumnPickerProps {
  table: RunsTableModel;
  trans: TranslationBundle;
}

/**
 * The param and metric columns to show, chosen among the keys of the
 * loaded runs.
 */
export function ColumnPicker(props: IColumnPickerProps): JSX.Element {
  const { table, trans } = props;
  useSignalVersion(table);
  const { params, metrics } = table.keys;
  const count = table.columns.length;
  const group = (
    title: string,
    keys: ReadonlyArray<string>,
    toColumn: (key: string) => RunsTableModel.ColumnId
  ) => (
    <fieldset className="jp-Trackside-ColumnGroup">
      <legend>{title}</legend>
      {keys.length === 0 ? (
        <span className="jp-Trackside-ColumnNone">{trans.__('none')}</span>
      ) : (
        keys.map(key => {
          const column = toColumn(key);
          return (
            <label
              key={column}
              className="jp-Trackside-ColumnChoice"
              title={key}
            >
              <input
                type="checkbox"
                checked={table.hasColumn(column)}
                onChange={event =>
                  table.setColumn(column, event.currentTarget.checked)
                }
              />
              <span>{key}</span>
            </label>
          );
        })
      )}
    </fieldset>
  );
  return (
    <details className="jp-Trackside-ColumnPicker">
      <summary>
        {count > 0 ? trans.__('Columns (%1)', count) : trans.__('Columns')}
      </summary>
      <div className="jp-Trackside-ColumnGroups">
        {group(trans.__('Params'), params, RunsTableModel.paramColumn)}
        {group(trans.__('Metrics'), metrics, RunsTableModel.metricColumn)}
      </div>
    </details>
  );
}

/**
 * Re-render on the table model's `changed` signal; returns a counter that
 * changes with it.
 */
function useSignalVersion(table: RunsTableModel): number {
  const [version, setVersion] = React.useState(0);
  React.useEffect(() => {
    const onChanged = () => setVersion(v => v + 1);
    table.changed.connect(onChanged);
    return () => {
      table.changed.disconnect(onChanged);
    };
  }, [table]);
  return version;
}

/**
 * Re-render when the run selection changes.
 */
function useSelectionVersion(model: TracksideModel): number {
  const [version, setVersion] = React.useState(0);
  React.useEffect(() => {
    const onChanged = () => setVersion(v => v + 1);
    model.selectionChanged.connect(onChanged);
    return () => {
      model.selectionChanged.disconnect(onChanged);
    };
  }, [model]);
  return version;
}

/**
 * The rows to render for the current scroll position and row height,
 * following the nearest scrolling ancestor and size changes.
 */
function useWindow(
  tableRef: React.RefObject<HTMLTableElement>,
  bodyRef: React.RefObject<HTMLTableSectionElement>,
  count: number,
  version: number
): { range: Windowing.IRange; rowHeight: number } {
  const [state, setState] = React.useState(() => ({
    range: Windowing.range({
      offset: 0,
      viewport: 0,
      rowHeight: DEFAULT_ROW_HEIGHT,
      count,
      overscan: OVERSCAN
    }),
    rowHeight: DEFAULT_ROW_HEIGHT
  }));

  React.useLayoutEffect(() => {
    const table = tableRef.current;
    const body = bodyRef.current;
    if (!table || !body) {
      return;
    }
    const scroller = Private.scrollParent(table);
    let frame = 0;
    // Reading a computed style forces a style pass: only on size changes.
    let rowHeight = Private.rowHeight(table);
    let measure = false;
    const update = () => {
      frame = 0;
      if (measure) {
        measure = false;
        rowHeight = Private.rowHeight(table);
      }
      const bodyTop = body.getBoundingClientRect().top;
      const view = scroller
        ? scroller.getBoundingClientRect()
        : { top: 0, height: window.innerHeight };
      const range = Windowing.range({
        offset: view.top - bodyTop,
        viewport: view.height,
        rowHeight,
        count,
        overscan: OVERSCAN
      });
      setState(previous =>
        previous.rowHeight === rowHeight &&
        Windowing.sameRange(previous.range, range)
          ? previous
          : { range, rowHeight }
      );
    };
    const schedule = () => {
      if (!frame) {
        frame = requestAnimationFrame(update);
      }
    };
    update();
    const target: EventTarget = scroller ?? window;
    target.addEventListener('scroll', schedule, { passive: true });
    const observer =
      typeof ResizeObserver !== 'undefined'
        ? new ResizeObserver(() => {
            measure = true;
            schedule();
          })
        : null;
    observer?.observe(table);
    if (scroller) {
      observer?.observe(scroller);
    }
    return () => {
      target.removeEventListener('scroll', schedule);
      observer?.disconnect();
      if (frame) {
        cancelAnimationFrame(frame);
      }
    };
  }, [count, version]);

  return state;
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

  /**
   * The nearest ancestor that scrolls vertically, `null` for the window.
   */
  export function scrollParent(node: HTMLElement): HTMLElement | null {
    let current = node.parentElement;
    while (current) {
      const overflow = getComputedStyle(current).overflowY;
      if (overflow === 'auto' || overflow === 'scroll') {
        return current;
      }
      current = current.parentElement;
    }
    return null;
  }

  /**
   * The row height the stylesheet sets for the current layout.
   */
  export function rowHeight(table: HTMLElement): number {
    const value = parseFloat(
      getComputedStyle(table).getPropertyValue('--jp-trackside-run-height')
    );
    return value > 0 ? value : DEFAULT_ROW_HEIGHT;
  }
}
