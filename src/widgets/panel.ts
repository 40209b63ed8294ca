import { ITranslator } from '@jupyterlab/translation';
import {
  CommandToolbarButton,
  refreshIcon,
  Toolbar
} from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import { Message } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';
import { preloadChartLibraries } from '../charts/preload';
import { CommandIDs } from '../commands';
import { tracksideIcon } from '../icons';
import { TracksideModel } from '../models/tracksideModel';
import { TracksideView } from './view';

/**
 * The Trackside side panel: a header (title and toolbar) and the
 * experiments view.
 *
 * The panel activates its model while it is visible, so a hidden panel
 * does no polling. Once shown, it preloads the chart libraries in idle time.
 */
export class TracksidePanel extends Panel {
  /**
   * Create the panel.
   */
  constructor(options: TracksidePanel.IOptions) {
    super();
    const trans = options.translator.load('jupyterlab_trackside');
    this._model = options.model;

    this.id = TracksidePanel.ID;
    this.addClass('jp-Trackside-Panel');
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', trans.__('Trackside'));
    this.title.icon = tracksideIcon;
    this.title.caption = trans.__('Trackside: MLflow experiment tracking');

    this._toolbar = new Toolbar();
    this._toolbar.addClass('jp-Trackside-Toolbar');
    this._toolbar.node.setAttribute(
      'aria-label',
      trans.__('Trackside toolbar')
    );
    this._toolbar.addItem(
      'refresh',
      new CommandToolbarButton({
        commands: options.commands,
        id: CommandIDs.refresh,
        icon: refreshIcon,
        label: ''
      })
    );

    // A header like the other side panels' (`jp-SidePanel-header`): the
    // title and, beside it, the toolbar.
    const header = new Panel();
    header.addClass('jp-SidePanel-header');
    header.addClass('jp-Trackside-Header');
    header.addWidget(Private.createTitle(trans.__('Trackside')));
    header.addWidget(this._toolbar);
    this.addWidget(header);

    const view = new TracksideView({
      model: this._model,
      translator: options.translator,
      runDetail: { commands: options.commands, ...options.runDetail }
    });
    this.addWidget(view);
  }

  /**
   * The panel model.
   */
  get model(): TracksideModel {
    return this._model;
  }

  /**
   * The panel toolbar.
   */
  get toolbar(): Toolbar {
    return this._toolbar;
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._model.isActive = true;
    preloadChartLibraries();
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this._model.isActive = false;
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._model.isActive = this.isVisible;
    if (this.isVisible) {
      preloadChartLibraries();
    }
  }

  protected onBeforeDetach(msg: Message): void {
    this._model.isActive = false;
    super.onBeforeDetach(msg);
  }

  private _model: TracksideModel;
  private _toolbar: Toolbar;
}

/**
 * A namespace for `TracksidePanel` statics.
 */
export namespace TracksidePanel {
  /**
   * The DOM id of the panel.
   */
  export const ID = 'jp-trackside-panel';

  /**
   * The options to create the panel.
   */
  export interface IOptions {
    /**
     * The panel model (not owned by the panel).
     */
    model: TracksideModel;
    /**
     * The application commands, for the toolbar buttons.
     */
    commands: CommandRegistry;
    translator: ITranslator;
    /**
     * What the run detail needs for its charts (series store, shell, theme
     * manager).
     */
    runDetail?: TracksideView.IOptions['runDetail'];
  }
}

/**
 * A namespace for private helpers.
 */
namespace Private {
  /**
   * Create the title of the panel header.
   */
  export function createTitle(text: string): Widget {
    const node = document.createElement('h2');
    node.className = 'jp-Trackside-Title jp-text-truncated';
    node.textContent = text;
    return new Widget({ node });
  }
}
