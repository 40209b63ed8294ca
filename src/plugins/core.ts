import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { TracksideClient } from '../services/client';
import { ITracksideService } from '../tokens';

/**
 * The core plugin: the REST client of the Trackside server extension.
 */
export const corePlugin: JupyterFrontEndPlugin<ITracksideService> = {
  id: 'jupyterlab-trackside:core',
  description: 'Provides the Trackside REST client and backend status.',
  autoStart: true,
  provides: ITracksideService,
  activate: (app: JupyterFrontEnd): ITracksideService =>
    new TracksideClient({ serverSettings: app.serviceManager.serverSettings })
};
