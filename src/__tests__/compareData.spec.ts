import { Normalize } from '../services/normalize';
import { IRun } from '../tokens';
import { CompareData } from '../panels/compare/data';

const XSS = '<img src=x onerror=alert(1)>';

function run(
  id: string,
  params: Record<string, string>,
  metrics: Record<string, number>,
  name = id
): IRun {
  return Normalize.run({
    info: {
      run_id: id,
      run_name: name,
      experiment_id: '1',
      status: 'FINISHED'
    },
    data: {
      params: Object.entries(params).map(([key, value]) => ({ key, value })),
      metrics: Object.entries(metrics).map(([key, value]) => ({
        key,
        value,
        step: 0,
        timestamp: 0
      }))
    }
  });
}

const RUNS = [
  run('a', { alpha: '0.1', solver: 'adam', seed: '1' }, { rmse: 0.5, r2: 0.7 }),
  run('b', { alpha: '1', solver: 'sgd', seed: '1' }, { rmse: 0.3, r2: 0.9 }),
  run('c', { alpha: '10', solver: XSS, seed: '1' }, { rmse: 0.3, r2: 0.8 }, XSS)
];

describe('CompareData', () => {
  it('builds rows of params then metrics, one value per run', () => {
    const rows = CompareData.rows(RUNS);
    expect(rows.map(r => `${r.kind}:${r.key}`)).toEqual([
      'param:alpha',
      'param:seed',
      'param:solver',
      'metric:r2',
      'metric:rmse'
    ]);
    expect(rows[0].values).toEqual(['0.1', '1', '10']);
    expect(rows[4].values).toEqual([0.5, 0.3, 0.3]);
    expect(rows.find(r => r.key === 'seed')?.differs).toBe(false);
  });

  it('keeps only the differences on demand; a missing value differs', () => {
    expect(
      CompareData.rows(RUNS, { differencesOnly: true }).map(r => r.key)
    ).toEqual(['alpha', 'solver', 'r2', 'rmse']);
    const partial = [
      run('x', { seed: '1' }, {}),
      run('y', { seed: '1', extra: 'e' }, {})
    ];
    expect(
      CompareData.rows(partial, { differencesOnly: true }).map(r => r.key)
    ).toEqual(['extra']);
    expect(CompareData.rows(partial)[0].values).toEqual([null, 'e']);
  });

  it('chooses lower or higher as better from the metric name', () => {
    for (const key of [
      'loss',
      'val_loss',
      'rmse',
      'mse',
      'mae',
      'log_loss',
      'error_rate',
      'test/mape'
    ]) {
      expect([key, CompareData.defaultGoal(key)]).toEqual([key, 'min']);
    }
    for (const key of ['accuracy', 'f1', 'auc', 'r2', 'precision']) {
      expect([key, CompareData.defaultGoal(key)]).toEqual([key, 'max']);
    }
  });

  it('finds the best values, ties included', () => {
    expect(CompareData.bestIndices([0.5, 0.3, 0.3], 'min')).toEqual([1, 2]);
    expect(CompareData.bestIndices([0.5, 0.3, 0.3], 'max')).toEqual([0]);
    expect(CompareData.bestIndices([0.5, null, NaN, 0.7], 'min')).toEqual([0]);
    // Nothing to compare: one value, or all equal.
    expect(CompareData.bestIndices([0.5, null], 'min')).toEqual([]);
    expect(CompareData.bestIndices([1, 1], 'max')).toEqual([]);
  });

  it('builds numeric and categorical parcoords dimensions, escaped', () => {
    const { dimensions, runs } = CompareData.parcoordsDimensions(RUNS, 'rmse');
    expect(runs).toHaveLength(3);
    // `seed` is the same for every run: no axis for it.
    expect(dimensions.map(d => d.label)).toEqual(['alpha', 'solver', 'rmse']);

    const [alpha, solver, rmse] = dimensions;
    expect(alpha.values).toEqual([0.1, 1, 10]);
    expect(alpha.range).toEqual([0.1, 10]);
    expect(alpha.tickvals).toBeUndefined();

    // Parcoords draws tick texts as plain text (no HTML): not escaped.
    expect(solver.ticktext).toEqual([XSS, 'adam', 'sgd']);
    expect(solver.tickvals).toEqual([0, 1, 2]);
    expect(solver.values).toEqual([1, 2, 0]);

    expect(rmse.values).toEqual([0.5, 0.3, 0.3]);
    expect(rmse.range).toEqual([0.3, 0.5]);
  });

  it('makes a param categorical when some runs lack it, and drops runs without the metric', () => {
    const runs = [
      run('a', { alpha: '1' }, { loss: 1 }),
      run('b', {}, { loss: 2 }),
      run('c', { alpha: '3' }, {}),
      run('d', { alpha: '2' }, { loss: 1 })
    ];
    const built = CompareData.parcoordsDimensions(runs, 'loss');
    expect(built.runs.map(r => r.info.run_id)).toEqual(['a', 'b', 'd']);
    const [alpha, loss] = built.dimensions;
    expect(alpha.ticktext).toEqual(['1', '2', CompareData.MISSING]);
    expect(alpha.values).toEqual([0, 2, 1]);
    expect(loss.label).toBe('loss');
    // A constant metric still gets a usable range.
    const flat = CompareData.parcoordsDimensions(
      [run('a', { x: '1' }, { m: 2 }), run('b', { x: '2' }, { m: 2 })],
      'm'
    );
    expect(flat.dimensions[1].range).toEqual([1.8, 2.2]);
  });

  it('builds scatter points with escaped names and categories', () => {
    const numeric = CompareData.scatterPoints(RUNS, 'alpha', 'rmse');
    expect(numeric).toEqual({
      x: [0.1, 1, 10],
      y: [0.5, 0.3, 0.3],
      text: ['a', 'b', '&lt;img src=x onerror=alert(1)&gt;'],
      numeric: true
    });
    const categorical = CompareData.scatterPoints(RUNS, 'solver', 'r2');
    expect(categorical.numeric).toBe(false);
    expect(categorical.x).toEqual([
      'adam',
      'sgd',
      '&lt;img src=x onerror=alert(1)&gt;'
    ]);
    expect(CompareData.isNumeric(['1', ' 2 ', '3e-4'])).toBe(true);
    expect(CompareData.isNumeric(['1', 'inf'])).toBe(false);
    expect(CompareData.isNumeric([null])).toBe(false);
  });
});
