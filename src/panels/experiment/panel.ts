import { MainAreaWidget } from '@jupyterlab/apputils';
import { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { tracksideIcon } from '../../icons';
import { TracksideModel } from '../../models/tracksideModel';
import { IChartServices } from '../../widgets/metricChartGrid';
import { ExperimentBody } from './body';
import { ExperimentModel } from './model';

/**
 * The experiment view in the main area: a closable tab with the Trackside
 * icon, titled with the experiment's name, around the experiment body
 * (which owns the model).
 *
 * A run opened from its table is shown in detail by the sidebar, which
 * `revealRun` brings into view.
 */
export class ExperimentPanel extends MainAreaWidget<ExperimentBody> {
  /**
   * Create the panel.
   */
  constructor(options: ExperimentPanel.IOptions) {
    const { model, translator } = options;
    super({
      content: new ExperimentBody({
        model,
        services: options.services,
        translator
      })
    });
    this._trans = translator.load('jupyterlab_trackside');
    this._revealRun = options.revealRun ?? null;
    this.id = ExperimentPanel.id(model.experimentId);
    this.addClass('jp-Trackside-ExperimentPanel');
    this.title.icon = tracksideIcon;
    this.title.closable = true;
    this._showName();
    model.changed.connect(this._showName, this);
    model.connection.viewChanged.connect(this._onViewChanged, this);
  }

  /**
   * The experiment shown.
   */
  get experimentId(): string {
    return this.content.model.experimentId;
  }

  /**
   * Dispose the panel, its body and the model.
   */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    const model = this.content.model;
    model.changed.disconnect(this._showName, this);
    model.connection.viewChanged.disconnect(this._onViewChanged, this);
    super.dispose();
  }

  private _showName(): void {
    const model = this.content.model;
    const name = model.name ?? model.experimentId;
    this.title.label = name;
    this.title.caption = this._trans.__('Experiment %1 (Trackside)', name);
    // The content is the region (the dock panel makes this node a tabpanel).
    this.content.node.setAttribute(
      'aria-label',
      this._trans.__('Experiment %1', name)
    );
  }

  /**
   * A run opened from this view's table (the focus is in it) is shown in
   * the sidebar: bring it into view.
   */
  private _onViewChanged(_: TracksideModel, view: TracksideModel.View): void {
    if (
      view.kind === 'run' &&
      view.experimentId === this.experimentId &&
      this.node.contains(document.activeElement)
    ) {
      this._revealRun?.();
    }
  }

  private _trans: TranslationBundle;
  private _revealRun: (() => void) | null;
}

/**
 * A namespace for `ExperimentPanel` statics.
 */
export namespace ExperimentPanel {
  /**
   * The DOM id of the view of an experiment (one view per experiment).
   */
  export function id(experimentId: string): string {
    return `jp-trackside-experiment-${encodeURIComponent(experimentId)}`;
  }

  /**
   * The options to create the panel.
   */
  export interface IOptions {
    /**
     * The model of the experiment (owned by the panel's body).
     */
    model: ExperimentModel;
    /**
     * The shell, theme manager and translator of the charts.
     */
    services: IChartServices | null;
    translator: ITranslator;
    /**
     * Show the sidebar, where a run opened from the table is shown.
     */
    revealRun?: () => void;
  }
}
