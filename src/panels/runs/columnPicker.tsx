import { TranslationBundle } from '@jupyterlab/translation';
import { UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';
import { RunsTableModel } from './tableModel';

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
  return (
    <UseSignal signal={props.table.changed}>
      {() => <ColumnChoices {...props} />}
    </UseSignal>
  );
}

/**
 * The picker, rendered again when the table model changes.
 */
function ColumnChoices(props: IColumnPickerProps): JSX.Element {
  const { table, trans } = props;
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
