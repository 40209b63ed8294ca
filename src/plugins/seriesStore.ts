import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { SeriesStore } from '../models/seriesStore';
import { ISeriesStore } from '../tokens';

/**
 * The series store plugin: every metric point the frontend knows, shared by
 * the live stream, the backfill and the charts.
 */
export const seriesStorePlugin: JupyterFrontEndPlugin<ISeriesStore> = {
  id: 'jupyterlab-trackside:series-store',
  description:
    'Provides the metric series store shared by the live kernel stream, the history backfill and the charts.',
  autoStart: true,
  provides: ISeriesStore,
  // Lives as long as the application (plugins are never deactivated).
  activate: (app: JupyterFrontEnd): ISeriesStore => new SeriesStore()
};
