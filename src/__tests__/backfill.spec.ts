import { SeriesStore } from '../models/seriesStore';
import { BackfillScheduler } from '../stream/backfill';
import { ITracksideService } from '../tokens';
import { metricStream, seriesRows } from './metricArrow';

/**
 * A fake history endpoint: answers from `history`, records the requests and
 * can hold answers until released.
 */
class FakeClient {
  history = new Map<string, number[]>();
  requests: ITracksideService.IMetricHistoryOptions[] = [];
  hold = false;
  private _release: (() => void)[] = [];

  async getMetricHistoryArrow(
    options: ITracksideService.IMetricHistoryOptions
  ): Promise<ArrayBuffer> {
    this.requests.push(options);
    if (this.hold) {
      await new Promise<void>(resolve => this._release.push(resolve));
    }
    const rows = options.runIds.flatMap(run =>
      options.keys.flatMap(key =>
        seriesRows(run, key, this.history.get(`${run}/${key}`) ?? [])
      )
    );
    const bytes = metricStream(rows);
    return bytes.slice().buffer;
  }

  release(): void {
    this._release.splice(0).forEach(resolve => resolve());
  }
}

async function settle(scheduler: BackfillScheduler): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await Promise.resolve();
    await scheduler.idle();
  }
}

describe('BackfillScheduler', () => {
  let store: SeriesStore;
  let client: FakeClient;
  let scheduler: BackfillScheduler;

  beforeEach(() => {
    jest.useFakeTimers();
    store = new SeriesStore();
    client = new FakeClient();
    scheduler = new BackfillScheduler({ store, client, debounce: 250 });
  });

  afterEach(() => {
    scheduler.dispose();
    store.dispose();
    jest.useRealTimers();
  });

  it('debounces requests into one fetch and converges to MLflow', async () => {
    store.append(
      'r',
      'loss',
      { steps: [0, 9], timestamps: [1000, 1009], values: [0, 90] },
      { decimated: true }
    );
    client.history.set('r/loss', [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    scheduler.request('r', 'loss');
    scheduler.request('r', 'loss');
    jest.advanceTimersByTime(200);
    expect(client.requests).toHaveLength(0);
    jest.advanceTimersByTime(60);
    await settle(scheduler);
    expect(client.requests).toEqual([
      {
        runIds: ['r'],
        keys: ['loss'],
        maxPoints: undefined,
        signal: expect.anything()
      }
    ]);
    const series = store.get('r', 'loss')!;
    expect(Array.from(series.steps)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(series.values)).toEqual([
      0, 10, 20, 30, 40, 50, 60, 70, 80, 90
    ]);
    expect(series.source).toBe('exact');
    expect(scheduler.isPending('r', 'loss')).toBe(false);
  });

  it('waits while the run keeps sending, but not past maxWait', async () => {
    scheduler.dispose();
    scheduler = new BackfillScheduler({
      store,
      client,
      debounce: 250,
      maxWait: 1000
    });
    client.history.set('r/k', [1]);
    scheduler.request('r', 'k');
    for (let t = 0; t < 900; t += 100) {
      scheduler.noteActivity('r', 'k');
      jest.advanceTimersByTime(100);
    }
    expect(client.requests).toHaveLength(0);
    jest.advanceTimersByTime(150);
    await settle(scheduler);
    expect(client.requests).toHaveLength(1);
  });

  it('never runs two fetches of a series at once, and runs again after', async () => {
    client.hold = true;
    client.history.set('r/k', [0, 1]);
    scheduler.request('r', 'k');
    jest.advanceTimersByTime(300);
    await Promise.resolve();
    expect(client.requests).toHaveLength(1);
    scheduler.request('r', 'k'); // e.g. a decimated message during the fetch
    jest.advanceTimersByTime(1000);
    await Promise.resolve();
    expect(client.requests).toHaveLength(1);
    client.hold = false;
    client.release();
    await settle(scheduler);
    jest.advanceTimersByTime(300);
    await settle(scheduler);
    expect(client.requests).toHaveLength(2);
    expect(Array.from(store.get('r', 'k')!.steps)).toEqual([0, 1]);
  });

  it('keeps live points MLflow does not have yet and looks again later', async () => {
    store.append('r', 'k', {
      steps: [0, 1, 2, 3],
      timestamps: [1000, 1001, 1002, 1003],
      values: [0, 10, 20, 30]
    });
    client.history.set('r/k', [0, 1]); // MLflow lags the stream
    scheduler.request('r', 'k');
    jest.advanceTimersByTime(300);
    await settle(scheduler);
    expect(Array.from(store.get('r', 'k')!.steps)).toEqual([0, 1, 2, 3]);
    expect(client.requests).toHaveLength(1);
    client.history.set('r/k', [0, 1, 2, 3, 4]);
    jest.advanceTimersByTime(1100);
    await settle(scheduler);
    expect(client.requests).toHaveLength(2);
    expect(Array.from(store.get('r', 'k')!.steps)).toEqual([0, 1, 2, 3, 4]);
  });

  it("loads a chart's series at once, downsampled", async () => {
    client.history.set('r/k', [0, 1, 2]);
    scheduler.request('r', 'k', { immediate: true, maxPoints: 8192 });
    jest.advanceTimersByTime(0);
    await settle(scheduler);
    expect(client.requests).toEqual([
      {
        runIds: ['r'],
        keys: ['k'],
        maxPoints: 8192,
        signal: expect.anything()
      }
    ]);
    expect(store.get('r', 'k')!.source).toBe('decimated');
  });

  it('merges pending requests: exact and immediate when any of them is', async () => {
    client.history.set('r/k', [0, 1]);
    scheduler.request('r', 'k'); // the stream: exact, after quiet
    scheduler.request('r', 'k', { immediate: true, maxPoints: 100 }); // a chart
    jest.advanceTimersByTime(0);
    await settle(scheduler);
    expect(client.requests).toHaveLength(1);
    expect(client.requests[0].maxPoints).toBeUndefined();
    expect(store.get('r', 'k')!.source).toBe('exact');
    jest.advanceTimersByTime(1000);
    await settle(scheduler);
    expect(client.requests).toHaveLength(1);
  });

  it('keeps the live points when the fetch fails', async () => {
    const warn = jest
      .spyOn(console, 'warn')
      .mockImplementation(() => undefined);
    store.append('r', 'k', { steps: [5], timestamps: [1], values: [1] });
    client.getMetricHistoryArrow = async () => {
      throw new Error('boom');
    };
    scheduler.request('r', 'k');
    jest.advanceTimersByTime(300);
    await settle(scheduler);
    expect(Array.from(store.get('r', 'k')!.steps)).toEqual([5]);
    expect(warn).toHaveBeenCalled();
    warn.mockRestore();
  });

  it('reads incrementally at once, and a full request covers it', async () => {
    // The fake answers the whole history; the store drops the overlap.
    store.append('r', 'k', {
      steps: [0, 1],
      timestamps: [1000, 1001],
      values: [0, 10]
    });
    client.history.set('r/k', [0, 1, 2]);
    scheduler.request('r', 'k', { incremental: true });
    jest.advanceTimersByTime(0);
    await settle(scheduler);
    expect(client.requests.map(r => [r.startStep, r.maxPoints])).toEqual([
      [1, undefined]
    ]);
    expect(Array.from(store.get('r', 'k')!.steps)).toEqual([0, 1, 2]);

    // A full (debounced) request pending: the incremental one joins it.
    scheduler.request('r', 'k');
    scheduler.request('r', 'k', { incremental: true });
    jest.advanceTimersByTime(0);
    await settle(scheduler);
    expect(client.requests).toHaveLength(1);
    jest.advanceTimersByTime(300);
    await settle(scheduler);
    expect(client.requests).toHaveLength(2);
    expect(client.requests[1].startStep).toBeUndefined();
    expect(client.requests[1].maxPoints).toBeUndefined();
  });

  it('counts a run as streaming for liveWindow ms after its live points', () => {
    scheduler.dispose();
    scheduler = new BackfillScheduler({ store, client, liveWindow: 1000 });
    expect(scheduler.isStreaming('r')).toBe(false);
    scheduler.noteActivity('r', 'k');
    expect(scheduler.isStreaming('r')).toBe(true);
    expect(scheduler.isStreaming('other')).toBe(false);
    jest.advanceTimersByTime(1001);
    expect(scheduler.isStreaming('r')).toBe(false);
  });
});
