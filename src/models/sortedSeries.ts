import { ISeriesStore } from '../tokens';

/**
 * One series of the store: its points sorted by (step, timestamp) in
 * growable typed arrays, merged in without duplicates.
 */
export class SortedSeries implements ISeriesStore.ISeries {
  constructor(
    readonly runId: string,
    readonly key: string
  ) {}

  source: ISeriesStore.Source = 'exact';
  version = 0;

  get length(): number {
    return this._length;
  }

  get steps(): Float64Array {
    return this._steps.subarray(0, this._length);
  }

  get timestamps(): Float64Array {
    return this._timestamps.subarray(0, this._length);
  }

  get values(): Float64Array {
    return this._values.subarray(0, this._length);
  }

  clear(): void {
    this._length = 0;
    this.source = 'exact';
    this.version++;
  }

  /**
   * Merge points in; return the first index that changed, or -1.
   */
  merge(points: ISeriesStore.IPoints): number {
    const count = Math.min(
      points.steps.length,
      points.timestamps.length,
      points.values.length
    );
    if (count === 0) {
      return -1;
    }
    const before = this._length;
    const order = Private.sortedOrder(points, count);
    const first = order[0];
    const start = this._lowerBound(
      points.steps[first],
      points.timestamps[first]
    );

    // Fast path: everything goes after the current end.
    if (start === this._length) {
      this._reserve(this._length + count);
      const begin = this._length;
      for (let i = 0; i < count; i++) {
        const j = order[i];
        this._push(points.steps[j], points.timestamps[j], points.values[j]);
      }
      return this._changedFrom(begin, before);
    }

    // Merge the tail [start, length) with the sorted points.
    const tailLength = this._length - start;
    const tailSteps = this._steps.slice(start, this._length);
    const tailTimes = this._timestamps.slice(start, this._length);
    const tailValues = this._values.slice(start, this._length);
    this._length = start;
    this._reserve(start + tailLength + count);
    let a = 0;
    let b = 0;
    while (a < tailLength || b < count) {
      const j = b < count ? order[b] : -1;
      const takeTail =
        b >= count ||
        (a < tailLength &&
          Private.compare(
            tailSteps[a],
            tailTimes[a],
            points.steps[j],
            points.timestamps[j]
          ) <= 0);
      if (takeTail) {
        this._push(tailSteps[a], tailTimes[a], tailValues[a]);
        a++;
      } else {
        this._push(points.steps[j], points.timestamps[j], points.values[j]);
        b++;
      }
    }
    return this._changedFrom(start, before);
  }

  /**
   * Only duplicates were dropped when the length did not change: the
   * merged tail is then identical to the old one.
   */
  private _changedFrom(start: number, before: number): number {
    if (this._length === before) {
      return -1;
    }
    this.version++;
    return start;
  }

  /**
   * Append unless an identical point with the same (step, timestamp) is
   * already at the end.
   */
  private _push(step: number, time: number, value: number): void {
    for (let i = this._length - 1; i >= 0; i--) {
      if (this._steps[i] !== step || this._timestamps[i] !== time) {
        break;
      }
      if (Object.is(this._values[i], value)) {
        return;
      }
    }
    const n = this._length;
    this._steps[n] = step;
    this._timestamps[n] = time;
    this._values[n] = value;
    this._length = n + 1;
  }

  /**
   * The first index whose (step, timestamp) is not before the given one.
   */
  private _lowerBound(step: number, time: number): number {
    let lo = 0;
    let hi = this._length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (
        Private.compare(this._steps[mid], this._timestamps[mid], step, time) < 0
      ) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private _reserve(capacity: number): void {
    if (capacity <= this._steps.length) {
      return;
    }
    const size = Math.max(capacity, this._steps.length * 2, 64);
    this._steps = Private.grow(this._steps, size, this._length);
    this._timestamps = Private.grow(this._timestamps, size, this._length);
    this._values = Private.grow(this._values, size, this._length);
  }

  private _length = 0;
  private _steps = new Float64Array(0);
  private _timestamps = new Float64Array(0);
  private _values = new Float64Array(0);
}

namespace Private {
  /**
   * (step, timestamp) order; a negative number when `a` comes first.
   */
  export function compare(
    stepA: number,
    timeA: number,
    stepB: number,
    timeB: number
  ): number {
    if (stepA !== stepB) {
      return stepA < stepB ? -1 : 1;
    }
    if (timeA !== timeB) {
      return timeA < timeB ? -1 : 1;
    }
    return 0;
  }

  export function grow(
    array: Float64Array,
    size: number,
    used: number
  ): Float64Array {
    const next = new Float64Array(size);
    next.set(array.subarray(0, used));
    return next;
  }

  /**
   * The indices of the points in (step, timestamp) order (stable).
   */
  export function sortedOrder(
    points: ISeriesStore.IPoints,
    count: number
  ): Int32Array {
    const order = new Int32Array(count);
    let sorted = true;
    for (let i = 0; i < count; i++) {
      order[i] = i;
      if (
        sorted &&
        i > 0 &&
        compare(
          points.steps[i - 1],
          points.timestamps[i - 1],
          points.steps[i],
          points.timestamps[i]
        ) > 0
      ) {
        sorted = false;
      }
    }
    if (!sorted) {
      const steps = points.steps;
      const times = points.timestamps;
      const indices = Array.from(order);
      indices.sort(
        (x, y) => compare(steps[x], times[x], steps[y], times[y]) || x - y
      );
      order.set(indices);
    }
    return order;
  }
}
