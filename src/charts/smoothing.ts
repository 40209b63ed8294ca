/**
 * Smoothing of metric series for display (pure, no DOM).
 */

/**
 * The debiased exponential moving average of a series (TensorBoard's
 * smoothing), computed incrementally: feed points, read the smoothed values.
 *
 * `weight` is in [0, 1): 0 is no smoothing. NaN values are passed through
 * and do not move the average.
 */
export class EmaSmoother {
  constructor(weight: number) {
    this.weight = Math.min(Math.max(weight, 0), 0.999);
  }

  /**
   * The smoothing weight.
   */
  readonly weight: number;

  /**
   * Smooth values `start..end` into `out` (same indices).
   */
  smooth(
    values: ArrayLike<number>,
    out: Float64Array,
    start = 0,
    end = values.length
  ): void {
    const w = this.weight;
    for (let i = start; i < end; i++) {
      const value = values[i];
      if (!Number.isFinite(value)) {
        out[i] = value;
        continue;
      }
      this._last = this._last * w + (1 - w) * value;
      this._debias = this._debias * w + (1 - w);
      out[i] = this._last / this._debias;
    }
  }

  private _last = 0;
  private _debias = 0;
}

/**
 * Smooth a whole series (pure).
 */
export function emaSmooth(
  values: ArrayLike<number>,
  weight: number
): Float64Array {
  const out = new Float64Array(values.length);
  new EmaSmoother(weight).smooth(values, out);
  return out;
}
