import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { RegistryClient } from '../services/registryClient';
import { IRegistryService } from '../tokens';

/**
 * The registry plugin: the Model Registry client of the Trackside server
 * extension.
 */
export const registryPlugin: JupyterFrontEndPlugin<IRegistryService> = {
  id: 'jupyterlab-trackside:registry',
  description:
    'Provides the MLflow Model Registry client (registered models, versions, aliases).',
  autoStart: true,
  provides: IRegistryService,
  activate: (app: JupyterFrontEnd): IRegistryService =>
    new RegistryClient({ serverSettings: app.serviceManager.serverSettings })
};
