import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, IThemeManager } from '@jupyterlab/apputils';
import { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator } from '@jupyterlab/translation';
import { addCommands, CommandIDs } from '../commands';
import { TracksideModel } from '../models/tracksideModel';
import { addExperimentViewCommands } from '../panels/experiment/commands';
import { RunsModel } from '../panels/runs/model';
import { TracksidePanel } from '../panels/sidebar/panel';
import { IServingService } from '../tokens/serving';
import {
  IBackfill,
  IModelFilesService,
  IRegistryService,
  ISeriesStore,
  ISyncStatus,
  ITracksideService
} from '../tokens';

const PLUGIN_ID = 'jupyterlab-trackside:panel';

/**
 * The panel plugin: the Trackside panel in the right sidebar and its
 * commands.
 */
export const panelPlugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Adds the Trackside experiments panel to the right sidebar.',
  autoStart: true,
  requires: [ITracksideService, ITranslator],
  optional: [
    ILayoutRestorer,
    ISettingRegistry,
    ICommandPalette,
    ISeriesStore,
    IBackfill,
    IThemeManager,
    IRegistryService,
    IServingService,
    IModelFilesService,
    IEditorLanguageRegistry,
    ISyncStatus
  ],
  activate: (
    app: JupyterFrontEnd,
    service: ITracksideService,
    translator: ITranslator,
    restorer: ILayoutRestorer | null,
    settingRegistry: ISettingRegistry | null,
    palette: ICommandPalette | null,
    store: ISeriesStore | null,
    backfill: IBackfill | null,
    themeManager: IThemeManager | null,
    registry: IRegistryService | null,
    serving: IServingService | null,
    modelFiles: IModelFilesService | null,
    languages: IEditorLanguageRegistry | null,
    syncStatus: ISyncStatus | null
  ): void => {
    const trans = translator.load('jupyterlab_trackside');
    const connection = new TracksideModel({ service });
    const runs = new RunsModel({ connection, store });
    const panel = new TracksidePanel({
      runs,
      commands: app.commands,
      translator,
      services: {
        store,
        backfill,
        shell: app.shell,
        themeManager,
        registry,
        serving,
        modelFiles,
        languages,
        syncStatus
      }
    });

    addCommands(app, {
      connection,
      refresh: () => runs.refresh(),
      panelId: panel.id,
      trans
    });
    addExperimentViewCommands(app, {
      runs,
      translator,
      store,
      backfill,
      themeManager,
      restorer
    });

    app.shell.add(panel, 'right', { rank: 900, type: 'Trackside' });
    if (restorer) {
      restorer.add(panel, PLUGIN_ID);
    }

    if (palette) {
      const category = trans.__('Trackside');
      palette.addItem({ command: CommandIDs.openPanel, category });
      palette.addItem({ command: CommandIDs.refresh, category });
    }

    if (settingRegistry) {
      const apply = (settings: ISettingRegistry.ISettings): void => {
        const { refreshInterval, runsPerExperiment } = settings.composite;
        runs.refreshInterval =
          typeof refreshInterval === 'number' ? refreshInterval * 1000 : null;
        runs.runsPerExperiment =
          typeof runsPerExperiment === 'number' ? runsPerExperiment : null;
      };
      settingRegistry
        .load(PLUGIN_ID)
        .then(settings => {
          apply(settings);
          settings.changed.connect(apply);
        })
        .catch(reason => {
          console.error(
            'Failed to load the Trackside panel settings; the panel refreshes on demand only.',
            reason
          );
        });
    }
  }
};
