import { JupyterFrontEnd } from '@jupyterlab/application';
import { TranslationBundle } from '@jupyterlab/translation';
import { refreshIcon } from '@jupyterlab/ui-components';
import { DisposableSet, IDisposable } from '@lumino/disposable';
import { tracksideIcon } from './icons';
import { TracksideModel } from './models/tracksideModel';

/**
 * The command ids of Trackside.
 */
export namespace CommandIDs {
  /**
   * Reveal the Trackside panel.
   */
  export const openPanel = 'trackside:open-panel';

  /**
   * Refresh the experiments and runs of the panel.
   */
  export const refresh = 'trackside:refresh';

  /**
   * Turn tracking of the current notebook on or off.
   */
  export const toggleTracking = 'trackside:toggle-tracking';

  /**
   * Choose the MLflow experiment of the current notebook.
   */
  export const chooseExperiment = 'trackside:choose-experiment';

  /**
   * Run the active cell inside a new MLflow run.
   */
  export const logCellAsRun = 'trackside:log-cell-as-run';

  /**
   * Open the kernel's current (or last) run in the Trackside panel.
   */
  export const openCurrentRun = 'trackside:open-current-run';
}

/**
 * Register the Trackside commands.
 *
 * @returns A disposable removing the commands.
 */
export function addCommands(
  app: JupyterFrontEnd,
  options: ICommandsOptions
): IDisposable {
  const { connection, refresh, panelId, trans } = options;
  const disposables = new DisposableSet();

  disposables.add(
    app.commands.addCommand(CommandIDs.openPanel, {
      label: trans.__('Open Trackside Panel'),
      caption: trans.__('Open Trackside panel'),
      icon: tracksideIcon,
      describedBy: Private.describedBy(trans),
      execute: args => {
        app.shell.activateById(panelId);
        const { experimentId, runId } = args;
        if (typeof experimentId === 'string' && typeof runId === 'string') {
          connection.revealRun(experimentId, runId);
        }
      }
    })
  );

  disposables.add(
    app.commands.addCommand(CommandIDs.refresh, {
      label: trans.__('Refresh Trackside'),
      caption: trans.__('Refresh the experiments and runs'),
      icon: refreshIcon,
      describedBy: Private.describedBy(trans),
      execute: async () => {
        if (!connection.isActive) {
          // Showing the panel activates it, which refreshes the runs.
          app.shell.activateById(panelId);
          return;
        }
        await refresh();
      }
    })
  );

  return disposables;
}

/**
 * The options of `addCommands`.
 */
export interface ICommandsOptions {
  /**
   * The panel's connection (visibility, navigation).
   */
  connection: TracksideModel;
  /**
   * Refresh what the panel shows (the runs model's `refresh`).
   */
  refresh: () => Promise<void>;
  /**
   * The DOM id of the panel widget.
   */
  panelId: string;
  /**
   * The translation bundle of Trackside.
   */
  trans: TranslationBundle;
}

namespace Private {
  /**
   * The description of the arguments the Trackside commands accept.
   */
  export function describedBy(trans: TranslationBundle) {
    return {
      args: {
        type: 'object',
        properties: {
          experimentId: {
            type: 'string',
            description: trans.__('The experiment of the run to reveal')
          },
          runId: {
            type: 'string',
            description: trans.__('The run to reveal and select')
          },
          toolbar: {
            type: 'boolean',
            description: trans.__(
              'Whether the command is executed from a toolbar button'
            )
          }
        }
      }
    };
  }
}
