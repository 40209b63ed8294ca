import { SeriesStore } from '../models/seriesStore';
import { TracksideModel } from '../models/tracksideModel';
import { RunDetailModel } from '../panels/runDetail/model';
import { BackfillScheduler } from '../stream/backfill';
import { IRun, ITracksideService } from '../tokens';
import { sleep, waitFor } from './fakeServer';
import { IRow, metricStream } from './metricArrow';

const RUN_ID = 'ext0001';

/**
 * A fake MLflow run logged from outside the kernels: its history grows as
 * the test logs points, `getRun` answers the latest value of each metric as
 * MLflow does, and the history endpoint honours `start_step` (inclusive).
 */
class ExternalRun {
  status = 'RUNNING';
  points: IRow[] = [];
  runReads = 0;
  historyReads: ITracksideService.IMetricHistoryOptions[] = [];
  private _clock = 1000;

  log(key: string, step: number, value = step * 10): void {
    this.points.push({
      run: RUN_ID,
      key,
      step,
      timestamp: this._clock++,
      value
    });
  }

  series(key: string): IRow[] {
    return this.points
      .filter(p => p.key === key)
      .sort((a, b) => a.step - b.step || a.timestamp! - b.timestamp!);
  }

  readonly service = {
    getRun: async (): Promise<IRun> => {
      this.runReads++;
      const keys = Array.from(new Set(this.points.map(p => p.key)));
      return {
        info: {
          run_id: RUN_ID,
          run_name: 'outside',
          experiment_id: '1',
          status: this.status,
          start_time: 1,
          end_time: this.status === 'RUNNING' ? null : 2,
          lifecycle_stage: 'active',
          artifact_uri: '',
          user_id: 'ada'
        },
        data: {
          metrics: keys.map(key => {
            const last = this.series(key).slice(-1)[0];
            return {
              key,
              step: last.step,
              timestamp: last.timestamp!,
              value: last.value
            };
          }),
          params: [],
          tags: []
        }
      } as IRun;
    },
    listArtifacts: async () => ({ root_uri: '', files: [] }),
    getMetricHistoryArrow: async (
      options: ITracksideService.IMetricHistoryOptions
    ): Promise<ArrayBuffer> => {
      this.historyReads.push(options);
      const rows = options.keys.flatMap(key =>
        this.series(key).filter(
          p => options.startStep === undefined || p.step >= options.startStep
        )
      );
      return metricStream(rows).slice().buffer;
    }
  };
}

describe('following a run with no live stream', () => {
  let external: ExternalRun;
  let store: SeriesStore;
  let backfill: BackfillScheduler;
  let connection: TracksideModel;
  let model: RunDetailModel;

  function stored(key: string): Array<[number, number, number]> {
    const series = store.get(RUN_ID, key);
    return series
      ? Array.from(series.steps).map((step, i) => [
          step,
          series.timestamps[i],
          series.values[i]
        ])
      : [];
  }

  function expected(key: string): Array<[number, number, number]> {
    return external.series(key).map(p => [p.step, p.timestamp!, p.value]);
  }

  const startSteps = () =>
    external.historyReads
      .filter(r => r.maxPoints === undefined)
      .map(r => r.startStep);

  beforeEach(async () => {
    external = new ExternalRun();
    external.log('loss', 0);
    external.log('loss', 1);
    store = new SeriesStore();
    backfill = new BackfillScheduler({
      store,
      client: external.service as unknown as ITracksideService,
      liveWindow: 200
    });
    connection = new TracksideModel({
      service: external.service as unknown as ITracksideService
    });
    model = new RunDetailModel({
      connection,
      experimentId: '1',
      runId: RUN_ID,
      store,
      backfill,
      refreshInterval: 400,
      followInterval: 20
    });
    connection.isActive = true;
    await waitFor(() => model.run !== null);
    // What the run's chart does when it appears: a downsampled first load.
    backfill.request(RUN_ID, 'loss', { immediate: true, maxPoints: 1000 });
    await waitFor(() => stored('loss').length === 2);
  });

  afterEach(() => {
    model.dispose();
    connection.dispose();
    backfill.dispose();
    store.dispose();
  });

  it('reads each new point once, from the last step on', async () => {
    external.log('loss', 2);
    await waitFor(() => stored('loss').length === 3);
    // MLflow keeps several points per step: a second one at step 2.
    external.log('loss', 2, -1);
    external.log('loss', 3);
    await waitFor(() => stored('loss').length === 5);
    external.log('loss', 4);
    await waitFor(() => stored('loss').length === 6);

    expect(stored('loss')).toEqual(expected('loss'));
    const steps = startSteps();
    expect(steps).toEqual([1, 2, 3]);
    // Reads are incremental: never the whole history again.
    expect(external.historyReads).toHaveLength(4);
  });

  it('discovers a metric logged later and follows it too', async () => {
    external.log('acc', 0, 0.5);
    await waitFor(() => model.metricKeys().includes('acc'));
    // Its chart appears and loads it; later points are followed.
    backfill.request(RUN_ID, 'acc', { immediate: true, maxPoints: 1000 });
    await waitFor(() => stored('acc').length === 1);
    external.log('acc', 1, 0.75);
    await waitFor(() => stored('acc').length === 2);
    expect(stored('acc')).toEqual(expected('acc'));
    const accReads = external.historyReads.filter(r => r.keys[0] === 'acc');
    expect(accReads.map(r => r.startStep)).toEqual([undefined, 0]);
  });

  it('stops with one exact read once the run has ended', async () => {
    external.log('loss', 2);
    external.status = 'FINISHED';
    await waitFor(() => model.run?.info.status === 'FINISHED');
    await backfill.idle();
    await waitFor(() => !backfill.isPending(RUN_ID, 'loss'));
    const last = external.historyReads[external.historyReads.length - 1];
    expect(last.startStep).toBeUndefined();
    expect(last.maxPoints).toBeUndefined();
    expect(stored('loss')).toEqual(expected('loss'));

    const reads = external.historyReads.length;
    const runReads = external.runReads;
    external.log('loss', 3);
    await sleep(150);
    expect(external.historyReads).toHaveLength(reads);
    expect(external.runReads).toBe(runReads);
  });

  it('stands by while the panel is hidden and catches up when shown', async () => {
    connection.isActive = false;
    await sleep(60);
    const reads = external.historyReads.length;
    const runReads = external.runReads;
    external.log('loss', 2);
    external.log('loss', 3);
    await sleep(150);
    expect(external.historyReads).toHaveLength(reads);
    expect(external.runReads).toBe(runReads);

    connection.isActive = true;
    await waitFor(() => stored('loss').length === 4);
    expect(stored('loss')).toEqual(expected('loss'));
    expect(startSteps()).toEqual([1]);
  });

  it('does nothing extra for a run its kernel streams live', async () => {
    const runReads = external.runReads;
    const reads = external.historyReads.length;
    // The comm channel's part: points into the store, activity noted.
    for (let step = 2; step < 8; step++) {
      external.log('loss', step);
      const point = external.series('loss').slice(-1)[0];
      store.append(RUN_ID, 'loss', {
        steps: [point.step],
        timestamps: [point.timestamp!],
        values: [point.value]
      });
      backfill.noteActivity(RUN_ID, 'loss');
      await sleep(40);
    }
    expect(backfill.isStreaming(RUN_ID)).toBe(true);
    expect(external.historyReads).toHaveLength(reads);
    // Read at the streamed pace (400 ms here), not the following one.
    expect(external.runReads - runReads).toBeLessThanOrEqual(2);
    expect(stored('loss')).toEqual(expected('loss'));

    // The stream goes quiet (the kernel died): following takes over.
    await sleep(250);
    expect(backfill.isStreaming(RUN_ID)).toBe(false);
    external.log('loss', 8);
    await waitFor(() => stored('loss').length === 9, 3000);
    expect(stored('loss')).toEqual(expected('loss'));
  });
});
