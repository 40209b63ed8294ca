import { JupyterFrontEndPlugin } from '@jupyterlab/application';
import { SyncStatusModel } from '../stream/syncStatus';
import { ISyncStatus } from '../tokens/syncStatus';

/**
 * The sync status plugin: the one record of every notebook kernel's journal
 * backlog, fed by the metric stream and shown by the panel.
 */
export const syncStatusPlugin: JupyterFrontEndPlugin<ISyncStatus> = {
  id: 'jupyterlab-trackside:sync-status',
  description:
    'Keeps, per notebook kernel, the points its journal still has to send to MLflow.',
  autoStart: true,
  provides: ISyncStatus,
  // Lives as long as the application.
  activate: (): ISyncStatus => new SyncStatusModel()
};
