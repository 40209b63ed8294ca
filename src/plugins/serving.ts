import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ServingClient } from '../services/servingClient';
import { IServingService } from '../tokens/serving';

/**
 * The serving plugin: the client of the Jupyter server's serving endpoints
 * (models served locally with `mlflow models serve`).
 */
export const servingPlugin: JupyterFrontEndPlugin<IServingService> = {
  id: 'jupyterlab-trackside:serving',
  description: 'Provides the client that serves model versions locally.',
  autoStart: true,
  provides: IServingService,
  activate: (app: JupyterFrontEnd): IServingService =>
    new ServingClient({ serverSettings: app.serviceManager.serverSettings })
};
