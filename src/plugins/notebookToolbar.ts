import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  IToolbarWidgetRegistry,
  Notification
} from '@jupyterlab/apputils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator } from '@jupyterlab/translation';
import { CommandIDs } from '../commands';
import { ExperimentButton } from '../notebook/experimentButton';
import { addNotebookCommands } from '../notebook/notebookCommands';
import { NotebookTracking } from '../notebook/notebookTracking';
import { RunSummaryRenderer } from '../notebook/runSummaryRenderer';
import { IKernelLifecycles, ITracksideService } from '../tokens';

const PLUGIN_ID = 'jupyterlab-trackside:notebook-toolbar';

/**
 * The notebook integration: "Track this notebook", the notebook's
 * experiment, "log this cell as a run" and "open the current run".
 *
 * The toolbar items are declared in this plugin's schema
 * (`jupyter.lab.toolbars.Notebook`); the experiment item is a widget built by
 * the factory registered here.
 */
export const notebookToolbarPlugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description:
    'Tracks notebooks with MLflow and adds Trackside notebook toolbar items.',
  autoStart: true,
  requires: [
    ITracksideService,
    INotebookTracker,
    ITranslator,
    IKernelLifecycles
  ],
  optional: [
    ISettingRegistry,
    IToolbarWidgetRegistry,
    ICommandPalette,
    IRenderMimeRegistry
  ],
  activate: (
    app: JupyterFrontEnd,
    service: ITracksideService,
    tracker: INotebookTracker,
    translator: ITranslator,
    lifecycles: IKernelLifecycles,
    settingRegistry: ISettingRegistry | null,
    toolbarRegistry: IToolbarWidgetRegistry | null,
    palette: ICommandPalette | null,
    rendermime: IRenderMimeRegistry | null
  ): void => {
    const trans = translator.load('jupyterlab_trackside');
    const { commands } = app;
    const trackings = new Map<NotebookPanel, NotebookTracking>();
    let settings: NotebookTracking.ISettings | null = null;

    const refreshCommands = (): void => {
      commands.notifyCommandChanged(CommandIDs.toggleTracking);
      commands.notifyCommandChanged(CommandIDs.logCellAsRun);
    };

    const trackingOf = (panel: NotebookPanel): NotebookTracking => {
      let tracking = trackings.get(panel);
      if (!tracking) {
        tracking = new NotebookTracking({
          panel,
          lifecycle: lifecycles.get(panel.sessionContext),
          // Until the settings are loaded, nothing is tracked by default.
          settings: () => settings ?? { trackByDefault: false, autolog: true }
        });
        tracking.stateChanged.connect(refreshCommands);
        tracking.failed.connect((_, error) => {
          Notification.error(
            trans.__(
              'Trackside could not start in the kernel of %1: %2',
              panel.context.path,
              error
            ),
            { autoClose: false }
          );
        });
        trackings.set(panel, tracking);
        panel.disposed.connect(() => {
          trackings.get(panel)?.dispose();
          trackings.delete(panel);
        });
      }
      return tracking;
    };

    tracker.widgetAdded.connect((_, panel) => {
      trackingOf(panel);
    });
    tracker.currentChanged.connect(refreshCommands);
    tracker.activeCellChanged.connect(refreshCommands);

    addNotebookCommands({ commands, tracker, service, trans, trackingOf });

    toolbarRegistry?.addFactory<NotebookPanel>(
      'Notebook',
      'trackside-experiment',
      panel =>
        new ExperimentButton({ tracking: trackingOf(panel), commands, trans })
    );

    // The summary `%%mlflow` shows under a cell, with "Open in Trackside".
    rendermime?.addFactory(RunSummaryRenderer.factory({ commands, trans }));

    if (palette) {
      const category = trans.__('Trackside');
      for (const command of [
        CommandIDs.toggleTracking,
        CommandIDs.chooseExperiment,
        CommandIDs.logCellAsRun,
        CommandIDs.openCurrentRun
      ]) {
        palette.addItem({ command, category });
      }
    }

    void settingRegistry
      ?.load(PLUGIN_ID)
      .then(loaded => {
        const apply = (): void => {
          settings = {
            trackByDefault: loaded.composite.trackByDefault === true,
            autolog: loaded.composite.autolog !== false
          };
          trackings.forEach(tracking => tracking.settingsChanged());
          refreshCommands();
        };
        apply();
        loaded.changed.connect(apply);
      })
      .catch(reason => {
        console.error(
          'Failed to load the Trackside notebook settings.',
          reason
        );
      });
  }
};
