import { TranslationBundle } from '@jupyterlab/translation';
import { UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';
import { RunsTableModel } from './tableModel';
import { RunsModel } from './model';
import { useNow } from '../../widgets/hooks';
import { useTableWindow } from '../../widgets/tableWindow';
import { RunRow } from './runRow';

/**
 * The properties of the runs table.
 */
export interface IRunsTableProps {
  /**
   * The runs model (selection and, through its connection, navigation).
   */
  model: RunsModel;
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
  /**
   * Called when the rows in view come near the last loaded one while the
   * server has more (load the next page); none when every run is loaded.
   */
  onNearEnd?: () => void;
  trans: TranslationBundle;
}

/**
 * How close (in rows) the view may come to the last loaded row before the
 * next page is asked for: about a screenful of the narrow layout.
 */
const NEAR_END = 40;

/**
 * The period of the running-duration clock, in milliseconds.
 */
const CLOCK_PERIOD = 1000;

/**
 * A virtualized table of runs: selection, status, name, start time,
 * duration, the chosen params and metrics, and a metrics summary.
 *
 * Only the rows in (and near) the viewport are in the DOM, and only the runs
 * scrolled through are loaded: `onNearEnd` asks for the next page. Rows have a fixed
 * height, set by the stylesheet (`--jp-trackside-run-height`) so that the
 * narrow two-line layout and the wide one-line layout (a container query)
 * both window exactly. Table semantics stay (`role`s, `aria-rowcount`,
 * `aria-rowindex`, `aria-sort`). All run data is rendered as text nodes.
 */
export function RunsTable(props: IRunsTableProps): JSX.Element {
  return (
    <UseSignal signal={props.table.changed}>
      {() => (
        <UseSignal signal={props.model.selection.changed}>
          {() => <RunsTableBody {...props} />}
        </UseSignal>
      )}
    </UseSignal>
  );
}

/**
 * The table itself, rendered again by `RunsTable` when the table model or
 * the selection changes.
 */
function RunsTableBody(props: IRunsTableProps): JSX.Element {
  const { model, table, experimentId, label, isLive, isBusy, trans } = props;
  const { onNearEnd } = props;
  const version = table.revision;
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

  React.useEffect(() => {
    if (onNearEnd && range.end >= rows.length - NEAR_END) {
      onNearEnd();
    }
  }, [onNearEnd, range.end, rows.length]);

  const onOpen = React.useCallback(
    (runId: string) => model.connection.showRun(experimentId, runId),
    [model, experimentId]
  );
  const onSelect = React.useCallback(
    (runId: string, selected: boolean) => model.selection.set(runId, selected),
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
      // -1: the total is not known while the server has more runs.
      aria-rowcount={onNearEnd ? -1 : rows.length + 1}
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
              selected={model.selection.has(row.run.info.run_id)}
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
