import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { Widget } from '@lumino/widgets';
import { CommandIDs } from '../commands';

/**
 * The mimetype of the run summary that `%%mlflow` displays under a cell.
 */
export const RUN_SUMMARY_MIMETYPE = 'application/vnd.trackside.run+json';

/**
 * Renders a run summary: name, status, params and metrics as text, and a
 * button that opens the run in the Trackside panel.
 */
export class RunSummaryRenderer
  extends Widget
  implements IRenderMime.IRenderer
{
  constructor(options: RunSummaryRenderer.IOptions) {
    super();
    this._options = options;
    this.addClass('jp-Trackside-RunSummary');
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const data = model.data[RUN_SUMMARY_MIMETYPE] as ReadonlyPartialJSONObject;
    const summary = Private.parse(data);
    const { trans, commands } = this._options;
    const node = this.node;
    node.replaceChildren();

    const header = Private.element('div', 'jp-Trackside-RunSummary-header');
    header.append(
      Private.element(
        'span',
        'jp-Trackside-RunSummary-title',
        trans.__('MLflow run')
      ),
      Private.element(
        'strong',
        'jp-Trackside-RunSummary-name',
        summary.runName
      ),
      Private.element(
        'span',
        `jp-Trackside-RunSummary-status jp-mod-${summary.status.toLowerCase()}`,
        summary.status
      )
    );
    if (summary.runId && summary.experimentId) {
      const open = Private.element(
        'button',
        'jp-Button jp-mod-styled jp-mod-reject jp-Trackside-RunSummary-open',
        trans.__('Open in Trackside')
      ) as HTMLButtonElement;
      open.type = 'button';
      const { runId, experimentId } = summary;
      open.addEventListener('click', () => {
        void commands.execute(CommandIDs.openPanel, { runId, experimentId });
      });
      header.append(open);
    }
    node.append(header);
    node.append(
      Private.table(trans.__('Parameters'), summary.params),
      Private.table(trans.__('Metrics'), summary.metrics)
    );
  }

  private _options: RunSummaryRenderer.IOptions;
}

export namespace RunSummaryRenderer {
  export interface IOptions {
    commands: CommandRegistry;
    trans: TranslationBundle;
  }

  /**
   * A renderer factory for the notebook's rendermime registry.
   */
  export function factory(options: IOptions): IRenderMime.IRendererFactory {
    return {
      safe: true,
      mimeTypes: [RUN_SUMMARY_MIMETYPE],
      // Ahead of text/html (50), which the kernel sends for other frontends.
      defaultRank: 40,
      createRenderer: () => new RunSummaryRenderer(options)
    };
  }
}

namespace Private {
  export interface ISummary {
    runId: string;
    experimentId: string;
    runName: string;
    status: string;
    params: [string, string][];
    metrics: [string, string][];
  }

  /**
   * Read the summary defensively: it comes from the kernel.
   */
  export function parse(data: ReadonlyPartialJSONObject | undefined): ISummary {
    const text = (value: unknown): string =>
      value === undefined || value === null ? '' : String(value);
    const pairs = (value: unknown): [string, string][] =>
      value && typeof value === 'object' && !Array.isArray(value)
        ? Object.entries(value).map(([key, v]) => [key, text(v)])
        : [];
    return {
      runId: text(data?.run_id),
      experimentId: text(data?.experiment_id),
      runName: text(data?.run_name) || text(data?.run_id),
      status: text(data?.status) || 'UNKNOWN',
      params: pairs(data?.params),
      metrics: pairs(data?.metrics)
    };
  }

  /**
   * An element whose text (never HTML) is `text`.
   */
  export function element(
    tag: string,
    className: string,
    text?: string
  ): HTMLElement {
    const node = document.createElement(tag);
    node.className = className;
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  export function table(
    caption: string,
    rows: [string, string][]
  ): HTMLElement {
    const table = element('table', 'jp-Trackside-RunSummary-table');
    if (!rows.length) {
      table.hidden = true;
      return table;
    }
    table.append(element('caption', '', caption));
    const body = document.createElement('tbody');
    for (const [key, value] of rows) {
      const row = document.createElement('tr');
      const name = element('th', '', key);
      name.setAttribute('scope', 'row');
      row.append(name, element('td', '', value));
      body.append(row);
    }
    table.append(body);
    return table;
  }
}
