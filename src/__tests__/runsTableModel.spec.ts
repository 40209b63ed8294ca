import { RunsLoader } from '../panels/runs/loader';
import { RunsTableModel } from '../panels/runs/tableModel';
import { serverOrder } from '../panels/runs/serverOrder';
import { Windowing } from '../models/windowing';
import { TracksideModel } from '../models/tracksideModel';
import { RunsModel } from '../panels/runs/model';
import { TracksideRequestError } from '../services/client';
import { Normalize } from '../services/normalize';
import { IRun, ITracksideService } from '../tokens';
import { HEALTHY_STATUS, waitFor } from './fakeServer';

/**
 * A run as MLflow's REST API returns it.
 */
function run(
  id: string,
  options: {
    name?: string;
    status?: string;
    start?: number;
    end?: number;
    params?: Record<string, string>;
    metrics?: Record<string, number>;
    parent?: string;
    experimentId?: string;
  } = {}
): IRun {
  return Normalize.run({
    info: {
      run_id: id,
      run_name: options.name ?? id,
      experiment_id: options.experimentId ?? '1',
      status: options.status ?? 'FINISHED',
      start_time: options.start ?? 0,
      end_time: options.end ?? (options.start ?? 0) + 1000
    },
    data: {
      params: Object.entries(options.params ?? {}).map(([key, value]) => ({
        key,
        value
      })),
      metrics: Object.entries(options.metrics ?? {}).map(([key, value]) => ({
        key,
        value,
        step: 0,
        timestamp: 0
      })),
      tags: options.parent
        ? [{ key: 'mlflow.parentRunId', value: options.parent }]
        : []
    }
  });
}

const names = (rows: ReadonlyArray<RunsTableModel.IRow>) =>
  rows.map(row => row.run.info.run_name);

/**
 * A fake Trackside service: runs in memory, MLflow-like paging (offset
 * tokens) and a tiny filter language (`metrics.<key> < <n>`, `params.<key>
 * = '<v>'`, joined with `and`); anything else is rejected like MLflow does.
 */
class FakeService {
  constructor(public runs: IRun[]) {}

  readonly searches: ITracksideService.ISearchRunsOptions[] = [];

  readonly serverSettings = {} as ITracksideService['serverSettings'];

  async status() {
    return Normalize.backendStatus(HEALTHY_STATUS);
  }

  async searchExperiments() {
    return { experiments: [], nextPageToken: null };
  }

  async searchRuns(
    options: ITracksideService.ISearchRunsOptions
  ): Promise<ITracksideService.IRunsPage> {
    this.searches.push(options);
    const matches = this.runs
      .filter(r => options.experimentIds.includes(r.info.experiment_id))
      .filter(FakeService.predicate(options.filter ?? ''))
      .sort((a, b) => (b.info.start_time ?? 0) - (a.info.start_time ?? 0));
    // Ordered by name (string order, as SQL) or oldest first on request.
    const order = options.orderBy?.[0] ?? '';
    const byName = /^attributes\.run_name (ASC|DESC)$/.exec(order);
    if (byName) {
      const sign = byName[1] === 'ASC' ? 1 : -1;
      matches.sort(
        (a, b) => sign * (a.info.run_name! < b.info.run_name! ? -1 : 1)
      );
    } else if (order === 'attributes.start_time ASC') {
      matches.reverse();
    }
    const offset = Number(options.pageToken ?? 0);
    const size = options.maxResults ?? 1000;
    const runs = matches.slice(offset, offset + size);
    const next = offset + size < matches.length ? String(offset + size) : null;
    return { runs, nextPageToken: next };
  }

  static predicate(filter: string): (run: IRun) => boolean {
    const clauses = filter.trim() ? filter.split(/\s+and\s+/i) : [];
    const tests = clauses.map(clause => {
      let match = /^metrics\.(\w+)\s*<\s*([\d.]+)$/.exec(clause.trim());
      if (match) {
        const [, key, limit] = match;
        return (r: IRun) =>
          (r.data.metrics.find(m => m.key === key)?.value ?? Infinity) <
          Number(limit);
      }
      match = /^params\.(\w+)\s*=\s*'([^']*)'$/.exec(clause.trim());
      if (match) {
        const [, key, value] = match;
        return (r: IRun) =>
          r.data.params.find(p => p.key === key)?.value === value;
      }
      match = /^attributes\.status\s*=\s*'(\w+)'$/.exec(clause.trim());
      if (match) {
        const [, status] = match;
        return (r: IRun) => r.info.status === status;
      }
      throw new TracksideRequestError({
        status: 400,
        errorCode: 'INVALID_PARAMETER_VALUE',
        message: `Invalid clause(s) in filter string: '${clause.trim()}'`
      });
    });
    return r => tests.every(test => test(r));
  }
}

describe('RunsTableModel', () => {
  const runs = [
    run('a', {
      name: 'run-10',
      start: 3000,
      end: 3500,
      params: { alpha: '0.5', solver: 'adam' },
      metrics: { rmse: 0.3 }
    }),
    run('b', {
      name: 'run-9',
      start: 2000,
      end: 9000,
      params: { alpha: '10' },
      metrics: { rmse: 0.1, acc: 0.9 }
    }),
    run('c', {
      name: 'run-2',
      status: 'RUNNING',
      start: 1000,
      params: { alpha: '2' }
    })
  ];

  let table: RunsTableModel;
  beforeEach(() => {
    table = new RunsTableModel({ now: () => 100_000 });
    table.setRuns(runs);
  });
  afterEach(() => table.dispose());

  it('keeps the loaded order until sorted', () => {
    expect(names(table.rows)).toEqual(['run-10', 'run-9', 'run-2']);
    expect(table.sort).toBeNull();
  });

  it('sorts by any column, numbers as numbers, missing values last', () => {
    table.toggleSort('name');
    expect(table.sort).toEqual({ column: 'name', direction: 'ascending' });
    expect(names(table.rows)).toEqual(['run-2', 'run-9', 'run-10']);
    table.toggleSort('name');
    expect(table.sort?.direction).toBe('descending');
    expect(names(table.rows)).toEqual(['run-10', 'run-9', 'run-2']);

    // Params are strings in MLflow, compared as numbers when numeric.
    table.toggleSort(RunsTableModel.paramColumn('alpha'));
    expect(names(table.rows)).toEqual(['run-10', 'run-2', 'run-9']);

    // A run without the metric comes last in both directions.
    table.toggleSort(RunsTableModel.metricColumn('rmse'));
    expect(names(table.rows)).toEqual(['run-9', 'run-10', 'run-2']);
    table.toggleSort(RunsTableModel.metricColumn('rmse'));
    expect(names(table.rows)).toEqual(['run-10', 'run-9', 'run-2']);

    // The duration of a running run grows up to now.
    table.setSort({ column: 'duration', direction: 'descending' });
    expect(names(table.rows)).toEqual(['run-2', 'run-9', 'run-10']);
    table.setSort({ column: 'start', direction: 'ascending' });
    expect(names(table.rows)).toEqual(['run-2', 'run-9', 'run-10']);
    table.setSort({ column: 'status', direction: 'ascending' });
    expect(table.rows[2].run.info.status).toBe('RUNNING');
  });

  it('emits `changed` and recomputes the rows only when needed', () => {
    let count = 0;
    table.changed.connect(() => count++);
    const rows = table.rows;
    expect(table.rows).toBe(rows);
    table.setRuns(runs);
    expect(count).toBe(0);
    table.setSort({ column: 'name', direction: 'ascending' });
    table.setSort({ column: 'name', direction: 'ascending' });
    expect(count).toBe(1);
    expect(table.rows).not.toBe(rows);
  });

  it('lists the keys seen and picks param and metric columns', () => {
    expect(table.keys).toEqual({
      params: ['alpha', 'solver'],
      metrics: ['acc', 'rmse']
    });
    const alpha = RunsTableModel.paramColumn('alpha');
    const rmse = RunsTableModel.metricColumn('rmse');
    table.setColumn(rmse, true);
    table.setColumn(alpha, true);
    expect(table.columns).toEqual(['metric:rmse', 'param:alpha']);
    expect(table.hasColumn(alpha)).toBe(true);
    expect(RunsTableModel.parseColumn(rmse)).toEqual({
      kind: 'metric',
      key: 'rmse'
    });
    expect(RunsTableModel.parseColumn('name')).toBeNull();

    // Hiding the sorted column drops the sort.
    table.toggleSort(alpha);
    table.setColumn(alpha, false);
    expect(table.columns).toEqual(['metric:rmse']);
    expect(table.sort).toBeNull();
    // Fixed columns are not "chosen".
    table.setColumn('name', true);
    expect(table.columns).toEqual(['metric:rmse']);

    table.setRuns([run('d', { params: { beta: '1' } })]);
    expect(table.keys.params).toEqual(['beta']);
  });

  it('nests child runs under their parent, collapsible', () => {
    table.setRuns([
      run('child-1', { name: 'child-1', start: 50, parent: 'p' }),
      run('p', { name: 'parent', start: 10 }),
      run('solo', { name: 'solo', start: 40 }),
      run('child-2', { name: 'child-2', start: 60, parent: 'p' }),
      run('grandchild', { name: 'grandchild', start: 70, parent: 'child-2' }),
      run('orphan', { name: 'orphan', start: 30, parent: 'not-loaded' })
    ]);
    expect(
      table.rows.map(row => [row.run.info.run_name, row.depth, row.childCount])
    ).toEqual([
      ['parent', 0, 2],
      ['child-1', 1, 0],
      ['child-2', 1, 1],
      ['grandchild', 2, 0],
      ['solo', 0, 0],
      ['orphan', 0, 0]
    ]);
    expect(table.rows[5].parentId).toBe('not-loaded');

    // Sorting applies among siblings; children stay under their parent.
    table.setSort({ column: 'start', direction: 'descending' });
    expect(names(table.rows)).toEqual([
      'solo',
      'orphan',
      'parent',
      'child-2',
      'grandchild',
      'child-1'
    ]);

    table.setCollapsed('p', true);
    expect(names(table.rows)).toEqual(['solo', 'orphan', 'parent']);
    expect(table.rows[2].collapsed).toBe(true);
    table.setCollapsed('p', false);
    expect(table.rows).toHaveLength(6);
  });

  it('survives a parent cycle', () => {
    table.setRuns([run('x', { parent: 'y' }), run('y', { parent: 'x' })]);
    expect(table.rows.map(row => row.run.info.run_id).sort()).toEqual([
      'x',
      'y'
    ]);
  });
});

describe('Windowing', () => {
  const base = { rowHeight: 30, count: 10_000, overscan: 5 };

  it('renders the visible rows plus the overscan', () => {
    expect(Windowing.range({ ...base, offset: 0, viewport: 300 })).toEqual({
      start: 0,
      end: 15
    });
    // Scrolled 100 rows down.
    expect(Windowing.range({ ...base, offset: 3000, viewport: 300 })).toEqual({
      start: 95,
      end: 115
    });
    // The table starts below the viewport top.
    expect(Windowing.range({ ...base, offset: -200, viewport: 300 })).toEqual({
      start: 0,
      end: 9
    });
  });

  it('clamps to the rows that exist', () => {
    expect(
      Windowing.range({ ...base, count: 3, offset: 0, viewport: 300 })
    ).toEqual({ start: 0, end: 3 });
    expect(
      Windowing.range({ ...base, offset: 10_000 * 30 - 60, viewport: 300 })
    ).toEqual({ start: 9993, end: 10_000 });
  });

  it('keeps a few rows when the table is out of view or not laid out', () => {
    expect(Windowing.range({ ...base, offset: -5000, viewport: 300 })).toEqual({
      start: 0,
      end: 5
    });
    expect(
      Windowing.range({ ...base, offset: 10_000 * 30 + 10, viewport: 300 })
    ).toEqual({ start: 9995, end: 10_000 });
    // Before layout the viewport is 0: assume a screenful.
    const range = Windowing.range({ ...base, offset: 0, viewport: 0 });
    expect(range.start).toBe(0);
    expect(range.end).toBe(
      Math.ceil(Windowing.FALLBACK_VIEWPORT / 30) + base.overscan
    );
    expect(Windowing.sameRange(range, { ...range })).toBe(true);
  });
});

describe('RunsLoader', () => {
  const many = Array.from({ length: 2500 }, (_, i) =>
    run(`r${i}`, { start: i, metrics: { rmse: (i % 100) / 100 } })
  );

  it('pages through next_page_token up to the limit', async () => {
    const service = new FakeService(many);
    const pages: number[] = [];
    const loaded = await RunsLoader.load(service as any, {
      experimentId: '1',
      filter: '',
      limit: 2200,
      onPage: page => pages.push(page.runs.length)
    });
    expect(loaded.runs).toHaveLength(2200);
    expect(loaded.isComplete).toBe(false);
    expect(loaded.runs[0].info.run_id).toBe('r2499');
    expect(service.searches.map(s => s.maxResults)).toEqual([
      100, 1000, 1000, 100
    ]);
    expect(service.searches[1].pageToken).toBe('100');
    expect(pages).toEqual([100, 1100, 2100]);

    const all = await RunsLoader.load(new FakeService(many) as any, {
      experimentId: '1',
      filter: '',
      limit: 5000
    });
    expect(all.runs).toHaveLength(2500);
    expect(all.isComplete).toBe(true);
  });

  it('refreshes a large set with the recent page and the running runs', async () => {
    const service = new FakeService(many.slice());
    const previous = await RunsLoader.load(service as any, {
      experimentId: '1',
      filter: '',
      limit: 5000
    });
    // A new run, an old run still running, a recent run deleted.
    service.runs.push(run('new', { start: 10_000 }));
    service.runs[5] = run('r5', { start: 5, status: 'RUNNING' });
    service.runs = service.runs.filter(r => r.info.run_id !== 'r2400');
    service.searches.length = 0;

    const updated = await RunsLoader.update(service as any, {
      experimentId: '1',
      filter: '',
      limit: 5000,
      previous
    });
    expect(service.searches).toHaveLength(2);
    expect(service.searches[1].filter).toBe("attributes.status = 'RUNNING'");
    expect(updated.runs).toHaveLength(2500);
    expect(updated.runs[0].info.run_id).toBe('new');
    expect(updated.runs.some(r => r.info.run_id === 'r2400')).toBe(false);
    expect(updated.runs.find(r => r.info.run_id === 'r5')?.info.status).toBe(
      'RUNNING'
    );
    expect(updated.isComplete).toBe(true);

    expect(RunsLoader.and('metrics.rmse < 1', 'x')).toBe(
      'metrics.rmse < 1 and x'
    );
  });
});

describe('RunsModel: filter and selection', () => {
  const runs = [
    run('a', {
      name: 'good',
      start: 3,
      metrics: { rmse: 0.2 },
      params: { alpha: '0.5' }
    }),
    run('b', {
      name: 'bad',
      start: 2,
      metrics: { rmse: 0.9 },
      params: { alpha: '0.5' }
    }),
    run('c', {
      name: 'other',
      start: 1,
      metrics: { rmse: 0.1 },
      params: { alpha: '1' }
    })
  ];
  let service: FakeService;
  let model: RunsModel;

  beforeEach(() => {
    service = new FakeService(runs);
    model = new RunsModel({
      connection: new TracksideModel({
        service: service as unknown as ITracksideService
      }),
      runsPerExperiment: 50
    });
  });
  afterEach(() => {
    model.dispose();
    model.connection.dispose();
  });

  async function expand(): Promise<void> {
    model.setExpanded('1', true);
    await waitFor(() => model.runs('1')?.isLoading === false);
  }

  it('sends the filter to runs/search and narrows the runs', async () => {
    await expand();
    expect(model.tableModel('1').runs).toHaveLength(3);
    const error = await model.setFilter(
      '1',
      "  metrics.rmse < 0.8 and params.alpha = '0.5' "
    );
    expect(error).toBeNull();
    expect(service.searches[service.searches.length - 1].filter).toBe(
      "metrics.rmse < 0.8 and params.alpha = '0.5'"
    );
    expect(model.filter('1')).toBe(
      "metrics.rmse < 0.8 and params.alpha = '0.5'"
    );
    expect(model.runs('1')?.runs?.map(r => r.info.run_name)).toEqual(['good']);
    expect(names(model.tableModel('1').rows)).toEqual(['good']);

    // Clearing the filter shows every run again.
    expect(await model.setFilter('1', '')).toBeNull();
    expect(model.runs('1')?.runs).toHaveLength(3);
  });

  it("shows the server's error for an invalid filter and keeps the runs", async () => {
    await expand();
    await model.setFilter('1', 'metrics.rmse < 0.5');
    const before = model.runs('1')?.runs;
    expect(before?.map(r => r.info.run_name)).toEqual(['good', 'other']);

    const changed: string[] = [];
    model.runsChanged.connect((_, id) => changed.push(id));
    const error = await model.setFilter('1', 'metrics.rmse <<< nope');
    expect(error).toBe(
      "Invalid clause(s) in filter string: 'metrics.rmse <<< nope'"
    );
    expect(model.filterError('1')).toBe(error);
    expect(changed.length).toBeGreaterThan(0);
    // The previous filter and runs stay.
    expect(model.filter('1')).toBe('metrics.rmse < 0.5');
    expect(model.runs('1')?.runs).toBe(before);
    expect(model.runs('1')?.isLoading).toBe(false);
    // The panel-wide error is not touched by a bad filter.
    expect(model.connection.error).toBeNull();

    // A refresh keeps applying the valid filter.
    model.connection.isActive = true;
    await model.refresh();
    expect(service.searches[service.searches.length - 1].filter).toBe(
      'metrics.rmse < 0.5'
    );

    // A valid filter clears the error.
    expect(await model.setFilter('1', '')).toBeNull();
    expect(model.filterError('1')).toBeNull();
  });

  it('drops the answer of a superseded filter', async () => {
    await expand();
    const first = model.setFilter('1', 'metrics.rmse < 0.5');
    const second = model.setFilter('1', "params.alpha = '1'");
    await Promise.all([first, second]);
    expect(model.filter('1')).toBe("params.alpha = '1'");
    expect(model.runs('1')?.runs?.map(r => r.info.run_name)).toEqual(['other']);
  });

  it('selects runs across experiments for comparison', () => {
    const emitted: ReadonlyArray<string>[] = [];
    model.selection.changed.connect((_, selection) => emitted.push(selection));
    model.selection.set('a', true);
    model.selection.set('x-from-another-experiment', true);
    model.selection.set('a', true);
    expect(model.selection.ids).toEqual(['a', 'x-from-another-experiment']);
    expect(model.selection.has('a')).toBe(true);
    model.selection.set('a', false);
    expect(model.selection.ids).toEqual(['x-from-another-experiment']);
    model.selection.clear();
    model.selection.clear();
    expect(model.selection.ids).toEqual([]);
    expect(emitted).toHaveLength(4);
  });

  it('keeps the table view state while collapsed', async () => {
    await expand();
    const table = model.tableModel('1');
    table.toggleSort('name');
    model.setExpanded('1', false);
    expect(table.runs).toHaveLength(0);
    await expand();
    expect(model.tableModel('1')).toBe(table);
    expect(table.sort?.column).toBe('name');
    expect(names(table.rows)).toEqual(['bad', 'good', 'other']);
  });
});

describe('Runs on demand (100,000-run experiments)', () => {
  const many = Array.from({ length: 2500 }, (_, i) =>
    run(`r${i}`, { name: `run-${i}`, start: i })
  );
  let service: FakeService;
  let model: RunsModel;

  beforeEach(() => {
    service = new FakeService(many);
    model = new RunsModel({
      connection: new TracksideModel({
        service: service as unknown as ITracksideService
      }),
      runsPerExperiment: 2000
    });
  });
  afterEach(() => {
    model.dispose();
    model.connection.dispose();
  });

  const loaded = () => model.runs('1')?.runs?.length;

  it('loads one page on expansion, the next ones on demand, up to the limit', async () => {
    model.setExpanded('1', true);
    await waitFor(() => model.runs('1')?.isLoading === false);
    expect(loaded()).toBe(100);
    expect(model.runs('1')?.canLoadMore).toBe(true);
    expect(model.runs('1')?.isComplete).toBe(false);
    expect(service.searches).toHaveLength(1);

    await model.loadMore('1');
    expect(loaded()).toBe(1100);
    expect(service.searches[1].pageToken).toBe('100');
    expect(service.searches[1].maxResults).toBe(1000);
    // A refresh keeps what was scrolled through and the place in the pages.
    await model.refresh();
    expect(loaded()).toBe(1100);
    await model.loadMore('1');
    // The limit caps what the browser holds.
    expect(loaded()).toBe(2000);
    expect(service.searches.at(-1)?.pageToken).toBe('1100');
    expect(service.searches.at(-1)?.maxResults).toBe(900);
    expect(model.runs('1')?.canLoadMore).toBe(false);
    const requests = service.searches.length;
    await model.loadMore('1');
    expect(service.searches).toHaveLength(requests);
    expect(model.tableModel('1').rows[0].run.info.run_id).toBe('r2499');
  });

  it('sends the sort to the server while runs are left on it; the far end first', async () => {
    model.setExpanded('1', true);
    await waitFor(() => model.runs('1')?.isLoading === false);
    const table = model.tableModel('1');
    table.setSort({ column: 'start', direction: 'ascending' });
    await waitFor(
      () =>
        model.runs('1')?.isLoading === false &&
        model.runs('1')?.runs?.[0].info.run_id === 'r0'
    );
    expect(service.searches.at(-1)?.orderBy).toEqual([
      'attributes.start_time ASC'
    ]);
    expect(service.searches.at(-1)?.pageToken).toBeUndefined();
    expect(table.rows.slice(0, 2).map(r => r.run.info.run_id)).toEqual([
      'r0',
      'r1'
    ]);
    // The next page follows in the same order.
    await model.loadMore('1');
    expect(service.searches.at(-1)?.orderBy).toEqual([
      'attributes.start_time ASC'
    ]);
    expect(table.rows[100].run.info.run_id).toBe('r100');

    // Sorted by name on the server: string order, kept as the server sent it.
    table.setSort({ column: 'name', direction: 'descending' });
    await waitFor(() => model.runs('1')?.runs?.[0].info.run_name === 'run-999');
    expect(table.rows.slice(0, 2).map(r => r.run.info.run_name)).toEqual([
      'run-999',
      'run-998'
    ]);

    // The duration cannot be ordered by MLflow: the loaded runs are sorted
    // in the browser, and the server order goes back to the default.
    const requests = service.searches.length;
    table.setSort({ column: 'duration', direction: 'descending' });
    await waitFor(() => service.searches.length === requests + 1);
    expect(service.searches.at(-1)?.orderBy).toEqual(RunsLoader.ORDER_BY);
  });

  it('sorts a complete set in the browser, without asking the server', async () => {
    service.runs = many.slice(0, 50);
    model.setExpanded('1', true);
    await waitFor(() => model.runs('1')?.isLoading === false);
    expect(model.runs('1')?.isComplete).toBe(true);
    const requests = service.searches.length;
    model.tableModel('1').setSort({ column: 'start', direction: 'ascending' });
    expect(model.tableModel('1').rows[0].run.info.run_id).toBe('r0');
    expect(service.searches).toHaveLength(requests);
  });

  it('maps the sortable columns to MLflow order_by', () => {
    expect(serverOrder(null)).toBeNull();
    expect(serverOrder({ column: 'start', direction: 'ascending' })).toEqual([
      'attributes.start_time ASC'
    ]);
    expect(serverOrder({ column: 'status', direction: 'descending' })).toEqual([
      'attributes.status DESC',
      'attributes.start_time DESC'
    ]);
    expect(
      serverOrder({ column: 'metric:val loss', direction: 'ascending' })
    ).toEqual(['metrics.`val loss` ASC', 'attributes.start_time DESC']);
    expect(
      serverOrder({ column: 'param:a`b', direction: 'ascending' })
    ).toEqual(['params."a`b" ASC', 'attributes.start_time DESC']);
    expect(
      serverOrder({ column: 'param:a`"b', direction: 'ascending' })
    ).toBeNull();
    expect(
      serverOrder({ column: 'duration', direction: 'ascending' })
    ).toBeNull();
  });
});
