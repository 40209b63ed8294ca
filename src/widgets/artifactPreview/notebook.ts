/**
 * A `.ipynb` file reduced to what a read-only preview shows as text: each
 * cell's source and its text outputs. HTML, images, JavaScript and widget
 * outputs are never rendered; they are named by their MIME type only.
 */

/**
 * A cell of a notebook preview.
 */
export interface INotebookPreviewCell {
  readonly type: 'code' | 'markdown' | 'raw';
  readonly source: string;
  readonly executionCount: number | null;
  /**
   * The text of each output; rich outputs become `[text/html output]`.
   */
  readonly outputs: ReadonlyArray<string>;
}

/**
 * A notebook preview.
 */
export interface INotebookPreview {
  /**
   * The language of the code cells (`python` by default).
   */
  readonly language: string;
  readonly cells: ReadonlyArray<INotebookPreviewCell>;
}

/**
 * Parse a notebook (nbformat 4). Throws an `Error` when it is not one.
 */
export function parseNotebook(text: string): INotebookPreview {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error('The notebook is not valid JSON.');
  }
  if (!isRecord(raw) || !Array.isArray(raw.cells)) {
    throw new Error('The file is not a Jupyter notebook (no cells).');
  }
  const metadata = isRecord(raw.metadata) ? raw.metadata : {};
  const info = isRecord(metadata.language_info) ? metadata.language_info : {};
  return {
    language: typeof info.name === 'string' ? info.name : 'python',
    cells: raw.cells.filter(isRecord).map(cell => ({
      type:
        cell.cell_type === 'markdown' || cell.cell_type === 'raw'
          ? cell.cell_type
          : 'code',
      source: multiline(cell.source),
      executionCount:
        typeof cell.execution_count === 'number' ? cell.execution_count : null,
      outputs: Array.isArray(cell.outputs)
        ? cell.outputs.filter(isRecord).map(outputText)
        : []
    }))
  };
}

/**
 * The text of one output.
 */
export function outputText(output: Record<string, unknown>): string {
  switch (output.output_type) {
    case 'stream':
      return multiline(output.text);
    case 'error':
      return stripAnsi(
        Array.isArray(output.traceback) && output.traceback.length > 0
          ? output.traceback.map(String).join('\n')
          : `${String(output.ename)}: ${String(output.evalue)}`
      );
    case 'execute_result':
    case 'display_data': {
      const data = isRecord(output.data) ? output.data : {};
      if ('text/plain' in data) {
        return multiline(data['text/plain']);
      }
      const types = Object.keys(data);
      return types.length > 0 ? `[${types.join(', ')} output]` : '';
    }
    default:
      return '';
  }
}

/**
 * nbformat's multiline string: a string or a list of lines.
 */
function multiline(value: unknown): string {
  if (Array.isArray(value)) {
    return value.map(String).join('');
  }
  return typeof value === 'string' ? value : '';
}

function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
