import { IBackfill, ISeriesStore } from '../tokens';
import { TracksideModel } from './tracksideModel';

/**
 * What a panel's feature model is created with: the connection and the
 * live series its charts draw from.
 */
export interface IPanelSources {
  /**
   * The connection: its service is fetched from, its `isActive` says
   * whether the panel is visible, it navigates.
   */
  connection: TracksideModel;
  /**
   * The series store for the charts; no charts without it.
   */
  store?: ISeriesStore | null;
  /**
   * The shared backfill of the series store.
   */
  backfill?: IBackfill | null;
}
