import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, IThemeManager } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator } from '@jupyterlab/translation';
import { addCommands, CommandIDs } from '../commands';
import { TracksideModel } from '../models/tracksideModel';
import { ISeriesStore, ITracksideService } from '../tokens';
import { TracksidePanel } from '../widgets/panel';

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
    IThemeManager
  ],
  activate: (
    app: JupyterFrontEnd,
    service: ITracksideService,
    translator: ITranslator,
    restorer: ILayoutRestorer | null,
    settingRegistry: ISettingRegistry | null,
    palette: ICommandPalette | null,
    store: ISeriesStore | null,
    themeManager: IThemeManager | null
  ): void => {
    const trans = translator.load('jupyterlab_trackside');
    const model = new TracksideModel({ service, store });
    const panel = new TracksidePanel({
      model,
      commands: app.commands,
      translator,
      runDetail: { store, shell: app.shell, themeManager }
    });

    addCommands(app, { model, panelId: panel.id, trans });

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
        model.refreshInterval =
          typeof refreshInterval === 'number' ? refreshInterval * 1000 : null;
        model.runsPerExperiment =
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
