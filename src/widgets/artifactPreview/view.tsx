import type { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { TranslationBundle } from '@jupyterlab/translation';
import { UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';
import { IFileInfo, IFileTable } from '../../tokens';
import { FileTreeModel } from './fileTree';
import { HighlightedCode } from './highlight';
import { ArtifactPreviewModel, PreviewState } from './model';
import { INotebookPreview } from './notebook';
import { previewKind } from './previewKind';

/**
 * A byte count, e.g. `512 B`, `1.5 kB`, `3.2 MB`.
 */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) {
    return `${bytes} B`;
  }
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = -1;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${Number(value.toPrecision(3))} ${units[unit]}`;
}

/**
 * The files of a tree's folder: folders expand, files open a preview (or
 * only download when they have none). Every name is a text node.
 */
export function FileTree(props: {
  model: FileTreeModel;
  languages: IEditorLanguageRegistry | null;
  trans: TranslationBundle;
  /**
   * The files of the root when the caller lists them itself.
   */
  rootFiles?: ReadonlyArray<IFileInfo>;
}): JSX.Element {
  const { model, trans } = props;
  return (
    <UseSignal signal={model.changed}>
      {() => (
        <Folder
          {...props}
          folder={model.root}
          files={props.rootFiles ?? model.files(model.root)}
          error={model.error(model.root)}
          label={trans.__('Files')}
        />
      )}
    </UseSignal>
  );
}

function Folder(props: {
  model: FileTreeModel;
  languages: IEditorLanguageRegistry | null;
  trans: TranslationBundle;
  folder: string;
  files: ReadonlyArray<IFileInfo> | null;
  error: string | null;
  label: string;
}): JSX.Element {
  const { model, languages, trans, files, error } = props;
  if (error) {
    return <p className="jp-Trackside-DetailError">{error}</p>;
  }
  if (!files) {
    return (
      <p className="jp-Trackside-Placeholder">{trans.__('Loading files…')}</p>
    );
  }
  if (files.length === 0) {
    return <p className="jp-Trackside-DetailEmpty">{trans.__('No files.')}</p>;
  }
  return (
    <ul className="jp-Trackside-FileTree" aria-label={props.label}>
      {files.map(file => {
        const name = file.path.split('/').pop() ?? file.path;
        if (file.is_dir) {
          const expanded = model.isExpanded(file.path);
          return (
            <li key={file.path} className="jp-Trackside-FileTreeFolder">
              <button
                type="button"
                className="jp-Trackside-FileTreeToggle"
                aria-expanded={expanded}
                title={file.path}
                onClick={() => model.toggleFolder(file.path)}
              >
                {`${expanded ? '▾' : '▸'} ${name}/`}
              </button>
              {expanded ? (
                <Folder
                  {...props}
                  folder={file.path}
                  files={model.files(file.path)}
                  error={model.error(file.path)}
                  label={trans.__('Files of %1', file.path)}
                />
              ) : null}
            </li>
          );
        }
        const preview = model.preview(file.path);
        const previewable = previewKind(file.path).kind !== 'download';
        return (
          <li key={file.path} className="jp-Trackside-FileTreeFile">
            <div className="jp-Trackside-FileTreeRow">
              {previewable ? (
                <button
                  type="button"
                  className="jp-Trackside-FileTreeToggle"
                  aria-expanded={preview !== null}
                  title={trans.__('Preview %1', file.path)}
                  onClick={() => model.togglePreview(file.path)}
                >
                  {`${preview ? '▾' : '▸'} ${name}`}
                </button>
              ) : (
                <span className="jp-Trackside-FileTreeName" title={file.path}>
                  {name}
                </span>
              )}
              {file.file_size !== null ? (
                <span className="jp-Trackside-DetailArtifactSize">
                  {formatBytes(file.file_size)}
                </span>
              ) : null}
              <a
                className="jp-Trackside-FileTreeDownload"
                href={model.downloadUrl(file.path)}
                download={name}
                aria-label={trans.__('Download %1', file.path)}
                title={trans.__('Download %1', file.path)}
              >
                {trans.__('Download')}
              </a>
            </div>
            {preview ? (
              <ArtifactPreview
                model={preview}
                languages={languages}
                trans={trans}
              />
            ) : null}
          </li>
        );
      })}
    </ul>
  );
}

/**
 * The preview of one file.
 */
export function ArtifactPreview(props: {
  model: ArtifactPreviewModel;
  languages: IEditorLanguageRegistry | null;
  trans: TranslationBundle;
}): JSX.Element {
  const { model } = props;
  return (
    <div
      className="jp-Trackside-Preview"
      role="region"
      aria-label={props.trans.__('Preview of %1', model.file.path)}
    >
      <UseSignal signal={model.stateChanged} initialArgs={model.state}>
        {(_, state) => (
          <PreviewContent
            state={state ?? model.state}
            path={model.file.path}
            downloadUrl={model.downloadUrl}
            languages={props.languages}
            trans={props.trans}
          />
        )}
      </UseSignal>
    </div>
  );
}

function PreviewContent(props: {
  state: PreviewState;
  path: string;
  downloadUrl: string;
  languages: IEditorLanguageRegistry | null;
  trans: TranslationBundle;
}): JSX.Element {
  const { state, path, downloadUrl, languages, trans } = props;
  const download = (
    <a href={downloadUrl} download={path.split('/').pop() ?? path}>
      {trans.__('Download %1', path)}
    </a>
  );
  switch (state.status) {
    case 'loading':
      return <p className="jp-Trackside-Placeholder">{trans.__('Loading…')}</p>;
    case 'error':
      return (
        <p className="jp-Trackside-DetailError" role="alert">
          {state.message}
        </p>
      );
    case 'download':
      return <p>{download}</p>;
    case 'tooLarge':
      return (
        <p>
          {state.size !== null
            ? trans.__('Too large to preview (%1).', formatBytes(state.size))
            : trans.__('Too large to preview.')}{' '}
          {download}
        </p>
      );
    case 'text':
      return (
        <HighlightedCode
          code={state.text}
          language={state.language}
          languages={languages}
          label={path}
        />
      );
    case 'image':
      return (
        <img className="jp-Trackside-PreviewImage" src={state.url} alt={path} />
      );
    case 'table':
      return <TablePreview table={state.table} label={path} trans={trans} />;
    case 'notebook':
      return (
        <NotebookPreview
          notebook={state.notebook}
          languages={languages}
          trans={trans}
        />
      );
  }
}

/**
 * A table of text cells.
 */
export function DataTable(props: {
  columns: ReadonlyArray<string>;
  rows: ReadonlyArray<ReadonlyArray<string>>;
  label: string;
  columnTitles?: ReadonlyArray<string>;
}): JSX.Element {
  return (
    <div className="jp-Trackside-DataTableScroll">
      <table className="jp-Trackside-DataTable" aria-label={props.label}>
        <thead>
          <tr>
            {props.columns.map((column, i) => (
              <th key={i} scope="col" title={props.columnTitles?.[i] ?? column}>
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row, r) => (
            <tr key={r}>
              {row.map((cell, c) => (
                <td key={c} title={cell}>
                  {cell}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function TablePreview(props: {
  table: IFileTable;
  label: string;
  trans: TranslationBundle;
}): JSX.Element {
  const { table, trans } = props;
  const text = (value: unknown) =>
    typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
  return (
    <>
      <DataTable
        columns={table.columns.map(column => column.name)}
        columnTitles={table.columns.map(c => `${c.name}: ${c.type}`)}
        rows={table.rows.map(row => row.map(text))}
        label={props.label}
      />
      {table.truncated ? (
        <p className="jp-Trackside-DetailEmpty">
          {table.total_rows !== null
            ? trans.__(
                'First %1 of %2 rows.',
                table.rows.length,
                table.total_rows
              )
            : trans.__('First %1 rows.', table.rows.length)}
        </p>
      ) : null}
    </>
  );
}

function NotebookPreview(props: {
  notebook: INotebookPreview;
  languages: IEditorLanguageRegistry | null;
  trans: TranslationBundle;
}): JSX.Element {
  const { notebook, languages, trans } = props;
  return (
    <ol className="jp-Trackside-NotebookPreview" aria-label={trans.__('Cells')}>
      {notebook.cells.map((cell, i) => (
        <li key={i} className={`jp-Trackside-NotebookCell jp-mod-${cell.type}`}>
          {cell.type === 'code' ? (
            <span className="jp-Trackside-NotebookPrompt">
              {`[${cell.executionCount ?? ' '}]:`}
            </span>
          ) : null}
          <HighlightedCode
            code={cell.source}
            language={
              cell.type === 'code'
                ? notebook.language
                : cell.type === 'markdown'
                  ? 'markdown'
                  : null
            }
            languages={languages}
          />
          {cell.outputs
            .filter(output => output !== '')
            .map((output, j) => (
              <pre key={j} className="jp-Trackside-NotebookOutput">
                {output}
              </pre>
            ))}
        </li>
      ))}
    </ol>
  );
}
