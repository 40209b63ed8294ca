import { SeriesStore } from '../models/seriesStore';
import { ISeriesStore } from '../tokens';

function pts(
  steps: number[],
  values: number[] = steps.map(s => s * 10),
  timestamps: number[] = steps.map(s => 1000 + s)
): ISeriesStore.IPoints {
  return { steps, timestamps, values };
}

describe('SeriesStore', () => {
  let store: SeriesStore;
  let changes: ISeriesStore.IChangedArgs[];

  beforeEach(() => {
    jest.useFakeTimers();
    store = new SeriesStore();
    changes = [];
    store.changed.connect((_, change) => {
      changes.push(change);
    });
  });

  afterEach(() => {
    store.dispose();
    jest.useRealTimers();
  });

  it('appends and grows past its initial capacity', () => {
    for (let i = 0; i < 1000; i++) {
      store.append('r', 'loss', pts([i]));
    }
    const series = store.get('r', 'loss')!;
    expect(series.length).toBe(1000);
    expect(series.steps[999]).toBe(999);
    expect(series.values[500]).toBe(5000);
    expect(series.steps).toBeInstanceOf(Float64Array);
    expect(store.has('r', 'loss')).toBe(true);
    expect(store.has('r', 'acc')).toBe(false);
    expect(store.keys('r')).toEqual(['loss']);
    expect(store.runs()).toEqual(['r']);
  });

  it('sorts out-of-order batches by step, then timestamp', () => {
    store.append('r', 'k', pts([5, 6, 7]));
    store.append('r', 'k', pts([3, 1, 2]));
    store.append('r', 'k', pts([6.5, 4, 8]));
    store.append('r', 'k', {
      steps: [0, 0],
      timestamps: [9, 2],
      values: [1, 2]
    });
    const series = store.get('r', 'k')!;
    expect(Array.from(series.steps)).toEqual([
      0, 0, 1, 2, 3, 4, 5, 6, 6.5, 7, 8
    ]);
    expect(Array.from(series.timestamps.subarray(0, 2))).toEqual([2, 9]);
    expect(series.values[0]).toBe(2);
  });

  it('skips identical (step, timestamp, value) points only', () => {
    store.append('r', 'k', pts([1, 2, 3]));
    store.append('r', 'k', pts([2, 3, 4])); // two duplicates
    store.append('r', 'k', pts([2], [99])); // same step and time, other value
    store.append('r', 'k', pts([2], [20], [5])); // same step, other time
    store.append('r', 'k', {
      steps: [9, 9],
      timestamps: [1, 1],
      values: [NaN, NaN]
    });
    const series = store.get('r', 'k')!;
    expect(Array.from(series.steps)).toEqual([1, 2, 2, 2, 3, 4, 9]);
    expect(Array.from(series.values.subarray(0, 6))).toEqual([
      10, 20, 20, 99, 30, 40
    ]);
    expect(series.values[6]).toBeNaN();
    expect(Array.from(series.timestamps)).toEqual([
      1001, 5, 1002, 1002, 1003, 1004, 1
    ]);
  });

  it('emits once per frame per series with the first changed index', () => {
    store.append('r', 'a', pts([0, 1, 2]));
    jest.advanceTimersByTime(20);
    expect(changes).toEqual([
      { runId: 'r', key: 'a', start: 0, end: 3, reset: false, removed: false }
    ]);
    changes = [];
    store.append('r', 'a', pts([3]));
    store.append('r', 'a', pts([4]));
    store.append('r', 'a', pts([1.5]));
    store.append('r', 'b', pts([0]));
    expect(changes).toEqual([]);
    jest.advanceTimersByTime(20);
    expect(changes).toEqual([
      { runId: 'r', key: 'a', start: 2, end: 6, reset: false, removed: false },
      { runId: 'r', key: 'b', start: 0, end: 1, reset: false, removed: false }
    ]);
    changes = [];
    store.append('r', 'a', pts([4])); // a duplicate changes nothing
    jest.advanceTimersByTime(20);
    expect(changes).toEqual([]);
  });

  it('uses requestAnimationFrame when there is one', () => {
    const callbacks: FrameRequestCallback[] = [];
    const raf = jest.fn((cb: FrameRequestCallback) => callbacks.push(cb));
    const withFrames = new SeriesStore({
      requestFrame: cb => raf(() => cb()),
      cancelFrame: () => undefined
    });
    const seen: ISeriesStore.IChangedArgs[] = [];
    withFrames.changed.connect((_, c) => {
      seen.push(c);
    });
    withFrames.append('r', 'k', pts([0]));
    withFrames.append('r', 'k', pts([1]));
    expect(raf).toHaveBeenCalledTimes(1);
    callbacks[0](0);
    expect(seen).toHaveLength(1);
    expect(seen[0].end).toBe(2);
    withFrames.dispose();
  });

  it('replaces a series for a backfill and tracks its source', () => {
    store.append('r', 'k', pts([0, 5, 10]), { decimated: true });
    expect(store.get('r', 'k')!.source).toBe('decimated');
    store.replace('r', 'k', pts([4, 0, 1, 2, 3, 1]));
    const series = store.get('r', 'k')!;
    expect(Array.from(series.steps)).toEqual([0, 1, 2, 3, 4]);
    expect(series.source).toBe('exact');
    store.append('r', 'k', pts([5]));
    expect(series.source).toBe('exact');
    jest.advanceTimersByTime(20);
    expect(changes).toEqual([
      { runId: 'r', key: 'k', start: 0, end: 6, reset: true, removed: false }
    ]);
    store.replace('r', 'k', pts([1]), 'decimated');
    expect(series.source).toBe('decimated');
  });

  it('removes a run and says so', () => {
    store.append('r', 'a', pts([0]));
    store.append('r', 'b', pts([0]));
    store.append('s', 'a', pts([0]));
    store.flush();
    changes = [];
    store.remove('r');
    expect(store.keys('r')).toEqual([]);
    expect(store.runs()).toEqual(['s']);
    store.flush();
    expect(changes.map(c => [c.key, c.removed, c.end])).toEqual([
      ['a', true, 0],
      ['b', true, 0]
    ]);
  });

  it('does nothing once disposed', () => {
    store.append('r', 'k', pts([0]));
    store.dispose();
    store.dispose();
    store.append('r', 'k', pts([1]));
    jest.advanceTimersByTime(20);
    expect(changes).toEqual([]);
    expect(store.isDisposed).toBe(true);
  });
});
