import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ITranslator } from '@jupyterlab/translation';
import { addModelViewCommands } from '../panels/modelView/commands';
import { ModelFilesClient } from '../services/modelFilesClient';
import { IModelFilesService, IRegistryService } from '../tokens';

/**
 * The model files plugin: logged models and model/run files (previews,
 * downloads), and the model view's commands (insert a load snippet,
 * register a model).
 */
export const modelFilesPlugin: JupyterFrontEndPlugin<IModelFilesService> = {
  id: 'jupyterlab-trackside:model-files',
  description:
    'Provides logged models and model files; adds the insert-snippet and register-model commands.',
  autoStart: true,
  provides: IModelFilesService,
  requires: [ITranslator],
  optional: [INotebookTracker, IRegistryService],
  activate: (
    app: JupyterFrontEnd,
    translator: ITranslator,
    tracker: INotebookTracker | null,
    registry: IRegistryService | null
  ): IModelFilesService => {
    addModelViewCommands(app, {
      tracker,
      registry,
      trans: translator.load('jupyterlab_trackside')
    });
    return new ModelFilesClient({
      serverSettings: app.serviceManager.serverSettings
    });
  }
};
