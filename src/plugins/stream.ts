import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { INotebookTracker } from '@jupyterlab/notebook';
import { SeriesStore } from '../models/seriesStore';
import { BackfillScheduler } from '../stream/backfill';
import { MetricStreamManager } from '../stream/commChannel';
import { ISeriesStore, ITracksideService } from '../tokens';

/**
 * The stream plugin: the shared series store, fed by the `trackside.metrics`
 * comm of every notebook kernel and backfilled from the history endpoint.
 */
export const streamPlugin: JupyterFrontEndPlugin<ISeriesStore> = {
  id: 'jupyterlab-trackside:stream',
  description:
    'Provides the metric series store fed by the live kernel stream and the Arrow history endpoint.',
  autoStart: true,
  requires: [INotebookTracker, ITracksideService],
  provides: ISeriesStore,
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    service: ITracksideService
  ): ISeriesStore => {
    const store = new SeriesStore();
    const backfill = new BackfillScheduler({ store, client: service });
    // Lives as long as the application (plugins are never deactivated).
    new MetricStreamManager({ tracker, store, backfill });
    return store;
  }
};
