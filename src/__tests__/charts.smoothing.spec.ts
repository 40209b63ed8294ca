import { EmaSmoother, emaSmooth } from '../charts/smoothing';

describe('emaSmooth', () => {
  it('is the identity with weight 0', () => {
    expect(Array.from(emaSmooth([1, 2, 3], 0))).toEqual([1, 2, 3]);
  });

  it('is debiased: a constant stays constant', () => {
    const out = emaSmooth([5, 5, 5, 5], 0.9);
    out.forEach(v => expect(v).toBeCloseTo(5, 12));
  });

  it('smooths a step and passes NaN through', () => {
    const out = emaSmooth([0, 0, NaN, 10, 10], 0.5);
    expect(out[2]).toBeNaN();
    expect(out[3]).toBeGreaterThan(0);
    expect(out[3]).toBeLessThan(10);
    expect(out[4]).toBeGreaterThan(out[3]);
  });

  it('is incremental', () => {
    const values = [3, 1, 4, 1, 5, 9, 2, 6];
    const whole = emaSmooth(values, 0.6);
    const smoother = new EmaSmoother(0.6);
    const out = new Float64Array(values.length);
    smoother.smooth(values, out, 0, 3);
    smoother.smooth(values, out, 3, values.length);
    expect(Array.from(out)).toEqual(Array.from(whole));
  });
});
