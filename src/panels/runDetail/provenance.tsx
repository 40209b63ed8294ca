import type { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { PageConfig, PathExt } from '@jupyterlab/coreutils';
import type { NotebookPanel } from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';
import { UseSignal } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';
import { errorMessage } from '../../services/errorMessage';
import { IRun } from '../../tokens';
import { FileTreeModel } from '../../widgets/artifactPreview/fileTree';
import { ArtifactPreview } from '../../widgets/artifactPreview/view';
import { DetailSection } from '../../widgets/detailSection';

/**
 * Tag keys Trackside's kernel side sets to say where a run came from.
 */
export const PROVENANCE_TAGS = {
  notebook: 'trackside.notebook',
  cellId: 'trackside.cell_id',
  executionCount: 'trackside.execution_count',
  cellSource: 'trackside.cell_source',
  sourceName: 'mlflow.source.name'
};

/**
 * Where the run came from: the notebook and cell (with a link that opens
 * the notebook at the cell) or MLflow's source name.
 */
export function Provenance(props: {
  run: IRun;
  commands: CommandRegistry | null;
  trans: TranslationBundle;
  /**
   * The run's artifacts, to preview the cell's source; none without it.
   */
  artifacts?: FileTreeModel | null;
  languages?: IEditorLanguageRegistry | null;
}): JSX.Element | null {
  const { run, commands, trans } = props;
  const artifacts = props.artifacts ?? null;
  const tag = (key: string) =>
    run.data.tags.find(t => t.key === key)?.value ?? null;
  const notebook = tag(PROVENANCE_TAGS.notebook);
  const cellId = tag(PROVENANCE_TAGS.cellId);
  const execution = tag(PROVENANCE_TAGS.executionCount);
  const source = tag(PROVENANCE_TAGS.sourceName);
  const cellSource = tag(PROVENANCE_TAGS.cellSource);
  const path = notebook ? notebookPath(notebook) : null;
  const [error, setError] = React.useState<string | null>(null);
  if (!notebook && !source) {
    return null;
  }
  const open = async () => {
    setError(null);
    try {
      await openNotebookAtCell(commands!, path!, cellId);
    } catch (reason) {
      setError(errorMessage(reason));
    }
  };
  return (
    <DetailSection title={trans.__('Source')} count={null}>
      <dl className="jp-Trackside-DetailFacts">
        {notebook ? (
          <>
            <dt>{trans.__('Notebook')}</dt>
            <dd>
              {commands ? (
                <button
                  type="button"
                  className="jp-Trackside-DetailLink"
                  title={
                    cellId
                      ? trans.__(
                          'Open %1 at the cell that logged the run',
                          notebook
                        )
                      : trans.__('Open %1', notebook)
                  }
                  onClick={() => void open()}
                >
                  {path}
                </button>
              ) : (
                path
              )}
            </dd>
            {cellId ? (
              <>
                <dt>{trans.__('Cell')}</dt>
                <dd>
                  {execution
                    ? trans.__('[%1] (id %2)', execution, cellId)
                    : trans.__('id %1', cellId)}
                </dd>
              </>
            ) : null}
          </>
        ) : null}
        {source && source !== notebook ? (
          <>
            <dt>{trans.__('Source')}</dt>
            <dd className="jp-Trackside-DetailMono">{source}</dd>
          </>
        ) : null}
      </dl>
      {cellSource && artifacts ? (
        <UseSignal signal={artifacts.changed}>
          {() => {
            const preview = artifacts.preview(cellSource);
            return (
              <>
                <button
                  type="button"
                  className="jp-Button jp-mod-minimal jp-Trackside-DetailToggle"
                  aria-expanded={preview !== null}
                  onClick={() => artifacts.togglePreview(cellSource)}
                >
                  {preview
                    ? trans.__('Hide the cell source')
                    : trans.__('Show the cell source')}
                </button>
                {preview ? (
                  <ArtifactPreview
                    model={preview}
                    languages={props.languages ?? null}
                    trans={trans}
                  />
                ) : null}
              </>
            );
          }}
        </UseSignal>
      ) : null}
      {error ? (
        <p className="jp-Trackside-DetailError" role="alert">
          {error}
        </p>
      ) : null}
    </DetailSection>
  );
}

/**
 * A notebook path relative to the server root (the kernel may report it
 * absolute).
 */
export function notebookPath(path: string, serverRoot?: string): string {
  const root = serverRoot ?? PageConfig.getOption('serverRoot');
  let relative = path;
  if (root && path.startsWith(root)) {
    relative = path.slice(root.length);
  }
  return PathExt.normalize(relative.replace(/^[/\\]+/, ''));
}

/**
 * Open a notebook and activate (and scroll to) the cell with the given id.
 */
export async function openNotebookAtCell(
  commands: CommandRegistry,
  path: string,
  cellId: string | null
): Promise<void> {
  const widget = (await commands.execute('docmanager:open', {
    path,
    factory: 'Notebook'
  })) as NotebookPanel | undefined;
  if (!widget || !cellId) {
    return;
  }
  await widget.context?.ready;
  await widget.revealed;
  const notebook = widget.content;
  if (!notebook) {
    return;
  }
  const index = notebook.widgets.findIndex(cell => cell.model.id === cellId);
  if (index < 0) {
    return;
  }
  notebook.activeCellIndex = index;
  await notebook.scrollToItem(index, 'center');
}
