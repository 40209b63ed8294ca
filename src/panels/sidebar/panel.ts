import { ITranslator } from '@jupyterlab/translation';
import {
  CommandToolbarButton,
  refreshIcon,
  SidePanel,
  Toolbar
} from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import { Message } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';
import { preloadChartLibraries } from '../../charts/preload';
import { CommandIDs } from '../../commands';
import { tracksideIcon } from '../../icons';
import { TracksideModel } from '../../models/tracksideModel';
import { RunsModel } from '../runs/model';
import { processFollowingVisibility } from '../../widgets/visibility';
import { TracksideView } from './view';

/**
 * The Trackside side panel: a header (title and toolbar) and the view of
 * the experiments, a run or a comparison.
 *
 * The panel activates its connection while it is visible, so a hidden panel
 * does no polling. Once shown, it preloads the chart libraries in idle time.
 */
export class TracksidePanel extends SidePanel {
  /**
   * Create the panel.
   */
  constructor(options: TracksidePanel.IOptions) {
    const trans = options.translator.load('jupyterlab_trackside');
    const toolbar = new Toolbar();
    toolbar.addClass('jp-Trackside-Toolbar');
    toolbar.node.setAttribute('aria-label', trans.__('Trackside toolbar'));
    toolbar.addItem(
      'refresh',
      new CommandToolbarButton({
        commands: options.commands,
        id: CommandIDs.refresh,
        icon: refreshIcon,
        label: ''
      })
    );
    // The title and, beside it (not below, as `SidePanel.toolbar` would
    // be), the toolbar.
    const header = new Panel();
    header.addClass('jp-Trackside-Header');
    header.addWidget(Private.createTitle(trans.__('Trackside')));
    header.addWidget(toolbar);

    super({
      header,
      content: new TracksideView({
        runs: options.runs,
        translator: options.translator,
        services: { commands: options.commands, ...options.services }
      }),
      translator: options.translator
    });
    this._headerToolbar = toolbar;
    this._runs = options.runs;

    this.id = TracksidePanel.ID;
    this.addClass('jp-Trackside-Panel');
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', trans.__('Trackside'));
    this.title.icon = tracksideIcon;
    this.title.caption = trans.__('Trackside: MLflow experiment tracking');
  }

  /**
   * The connection (status, visibility, navigation); not owned by the panel.
   */
  get model(): TracksideModel {
    return this._runs.connection;
  }

  /**
   * The runs model; not owned by the panel.
   */
  get runs(): RunsModel {
    return this._runs;
  }

  /**
   * The panel toolbar, in the header.
   */
  get toolbar(): Toolbar {
    return this._headerToolbar;
  }

  /**
   * Keep the connection active while the panel is visible; once shown,
   * preload the chart libraries.
   */
  processMessage(msg: Message): void {
    processFollowingVisibility(
      this,
      msg,
      () => super.processMessage(msg),
      isVisible => {
        this.model.isActive = isVisible;
        if (isVisible) {
          preloadChartLibraries();
        }
      }
    );
  }

  private _headerToolbar: Toolbar;
  private _runs: RunsModel;
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
     * The runs model and, through it, the connection (not owned by the
     * panel).
     */
    runs: RunsModel;
    /**
     * The application commands, for the toolbar buttons.
     */
    commands: CommandRegistry;
    translator: ITranslator;
    /**
     * What the run detail and the comparison need for their charts (series
     * store, backfill, shell, theme manager).
     */
    services?: TracksideView.IOptions['services'];
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
