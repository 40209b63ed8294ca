import { ChartOptionsModel } from '../charts/chartOptionsModel';
import { DEFAULT_CHART_OPTIONS } from '../charts/figure';
import { relayoutXRange } from '../charts/zoom';

describe('ChartOptionsModel', () => {
  it('starts from the defaults and emits each real change once', () => {
    const model = new ChartOptionsModel({ logY: true });
    expect(model.options).toEqual({ ...DEFAULT_CHART_OPTIONS, logY: true });
    const seen: unknown[] = [];
    model.changed.connect((_, options) => seen.push(options));
    model.toggleLogY();
    model.setXAxis('wall');
    model.setSmoothing(0.3);
    model.options = { ...model.options };
    expect(seen).toEqual([
      { xAxis: 'step', logY: false, smoothing: 0 },
      { xAxis: 'wall', logY: false, smoothing: 0 },
      { xAxis: 'wall', logY: false, smoothing: 0.3 }
    ]);
    model.dispose();
    model.toggleLogY();
    expect(seen).toHaveLength(3);
  });
});

describe('relayoutXRange', () => {
  it('reads a zoom as numbers or UTC dates, and a reset', () => {
    expect(
      relayoutXRange({ 'xaxis.range[0]': 12.5, 'xaxis.range[1]': 9 })
    ).toEqual({
      x0: 9,
      x1: 12.5
    });
    expect(
      relayoutXRange({
        'xaxis.range': ['2024-01-01 00:00:01', '2024-01-01 00:00:02.5']
      })
    ).toEqual({
      x0: Date.UTC(2024, 0, 1, 0, 0, 1),
      x1: Date.UTC(2024, 0, 1, 0, 0, 2, 500)
    });
    expect(relayoutXRange({ 'xaxis.autorange': true })).toBe('reset');
    expect(relayoutXRange({ 'yaxis.range[0]': 1 })).toBeNull();
  });
});
