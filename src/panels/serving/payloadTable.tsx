import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { IPayloadTable, PayloadTable } from './payload';

/**
 * The payload as an editable table: column names as header inputs (when
 * the columns are named), one input per cell. Edits go to the form model,
 * which rewrites the JSON.
 */
export function PayloadTableEditor(props: {
  table: IPayloadTable;
  disabled: boolean;
  onCell: (row: number, column: number, text: string) => void;
  onRename: (column: number, name: string) => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { table, disabled, onCell, onRename, trans } = props;
  const named = PayloadTable.hasNamedColumns(table);
  if (table.columns.length === 0) {
    return (
      <p className="jp-Trackside-Placeholder">
        {trans.__('The payload has no columns yet: write them in the JSON.')}
      </p>
    );
  }
  return (
    <div className="jp-Trackside-PayloadTableWrap">
      <table
        className="jp-Trackside-PayloadTable"
        aria-label={trans.__('Payload table')}
      >
        <thead>
          <tr>
            <th scope="col">{trans.__('Row')}</th>
            {table.columns.map((name, c) => (
              <th key={c} scope="col">
                {named ? (
                  <input
                    type="text"
                    value={name}
                    size={fieldSize(name)}
                    disabled={disabled}
                    aria-label={trans.__('Name of column %1', c + 1)}
                    onChange={event => onRename(c, event.target.value)}
                  />
                ) : (
                  name
                )}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {table.rows.map((row, r) => (
            <tr key={r}>
              <th scope="row">{r + 1}</th>
              {row.map((cell, c) => (
                <td key={c}>
                  <input
                    type="text"
                    value={PayloadTable.cellText(cell)}
                    size={fieldSize(PayloadTable.cellText(cell))}
                    disabled={disabled}
                    aria-label={trans.__(
                      'Row %1, %2',
                      r + 1,
                      table.columns[c] ?? String(c)
                    )}
                    onChange={event => onCell(r, c, event.target.value)}
                  />
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * The width of a field in characters: its text, within bounds.
 */
function fieldSize(text: string): number {
  return Math.min(Math.max(text.length, 4), 40);
}
