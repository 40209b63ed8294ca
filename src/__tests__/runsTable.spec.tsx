import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';
import { TracksideModel } from '../models/tracksideModel';
import { TracksideClient } from '../services/client';
import { RunsModel } from '../panels/runs/model';
import { TracksidePanel } from '../panels/sidebar/panel';
import { FakeServer, HEALTHY_STATUS, json, waitFor } from './fakeServer';

// The panel preloads Plotly in idle time once shown; jsdom has no canvas.
jest.mock('../charts/preload', () => ({ preloadChartLibraries: jest.fn() }));

const COUNT = 10_000;

/**
 * 10,000 runs of one experiment; run 0 is the parent of runs 1 and 2.
 */
const RUNS = Array.from({ length: COUNT }, (_, i) => ({
  info: {
    run_id: `r${i}`,
    run_name: `run-${i}`,
    experiment_id: '7',
    status: i === 3 ? 'RUNNING' : 'FINISHED',
    start_time: 1_000_000 - i,
    end_time: 1_000_000 - i + 1000
  },
  data: {
    params: [{ key: 'alpha', value: String(i % 7) }],
    metrics: [{ key: 'rmse', value: (i % 100) / 100, step: 0, timestamp: 0 }],
    tags: i === 1 || i === 2 ? [{ key: 'mlflow.parentRunId', value: 'r0' }] : []
  }
}));

/**
 * runs/search with MLflow-like offset page tokens; the filter `bad` is
 * rejected like an invalid MLflow filter, `alpha=N` keeps that alpha;
 * `order_by` on the run name sorts as SQL does (string order).
 */
function handler(server: FakeServer) {
  return (request: FakeServer['requests'][number]) => {
    switch (request.endpoint) {
      case 'status':
        return json(HEALTHY_STATUS);
      case 'mlflow/experiments/search':
        return json({
          experiments: [
            { experiment_id: '7', name: 'big', last_update_time: 1 }
          ]
        });
      case 'mlflow/runs/search': {
        const body = request.body as {
          filter?: string;
          max_results: number;
          page_token?: string;
          order_by?: string[];
        };
        if (body.filter === 'bad') {
          return json(
            {
              error_code: 'INVALID_PARAMETER_VALUE',
              message: "Invalid filter 'bad'"
            },
            400
          );
        }
        const alpha = /^params.alpha = '(\d)'$/.exec(body.filter ?? '')?.[1];
        const matches = (
          alpha ? RUNS.filter(r => r.data.params[0].value === alpha) : RUNS
        ).slice();
        const byName = /^attributes.run_name (ASC|DESC)$/.exec(
          body.order_by?.[0] ?? ''
        );
        if (byName) {
          const sign = byName[1] === 'ASC' ? 1 : -1;
          matches.sort(
            (a, b) =>
              sign * (a.info.run_name < b.info.run_name ? -1 : 1) ||
              b.info.start_time - a.info.start_time
          );
        }
        const offset = Number(body.page_token ?? 0);
        const end = offset + body.max_results;
        return json({
          runs: matches.slice(offset, end),
          ...(end < matches.length ? { next_page_token: String(end) } : {})
        });
      }
    }
    return json({ message: 'not found' }, 404);
  };
}

describe('RunsTable', () => {
  let server: FakeServer;
  let model: RunsModel;
  let panel: TracksidePanel;

  beforeEach(async () => {
    server = new FakeServer();
    server.handler = handler(server);
    model = new RunsModel({
      connection: new TracksideModel({
        service: new TracksideClient({ serverSettings: server.serverSettings })
      }),
      runsPerExperiment: COUNT
    });
    panel = new TracksidePanel({
      runs: model,
      commands: new CommandRegistry(),
      translator: nullTranslator
    });
    Widget.attach(panel, document.body);
    await waitFor(
      () => panel.node.querySelector('button[aria-expanded]') !== null,
      10_000
    );
    panel.node
      .querySelector<HTMLButtonElement>('button[aria-expanded]')!
      .click();
    await waitFor(() => model.runs('7')?.isLoading === false, 10_000);
    await waitFor(() => panel.node.querySelector('[role="table"]') !== null);
  });

  afterEach(() => {
    panel.dispose();
    model.dispose();
    model.connection.dispose();
  });

  const table = () => panel.node.querySelector('[role="table"]')!;
  const bodyRows = () =>
    Array.from(table().querySelectorAll('tbody [role="row"]'));

  const searches = () =>
    server.requestsTo('mlflow/runs/search').map(
      r =>
        r.body as {
          max_results: number;
          page_token?: string;
          order_by?: string[];
        }
    );

  it('loads the first page, the next one as the view nears its end; renders only the visible rows', async () => {
    expect(model.runs('7')?.runs).toHaveLength(100);
    expect(searches().map(s => s.max_results)).toEqual([100]);

    expect(table().getAttribute('aria-label')).toBe('Runs of big');
    // The server has more: the total is unknown.
    expect(table().getAttribute('aria-rowcount')).toBe('-1');
    const rows = bodyRows();
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.length).toBeLessThan(60);
    expect(rows[0].getAttribute('aria-rowindex')).toBe('2');
    expect(rows[0].querySelector('[role="rowheader"]')?.textContent).toContain(
      'run-0'
    );
    // Nested runs follow their parent, indented.
    expect(
      rows
        .slice(0, 3)
        .map(r =>
          r.querySelector('[role="rowheader"]')?.getAttribute('aria-label')
        )
    ).toEqual(['run-0', 'run-1', 'run-2']);
    expect(rows[1].classList).toContain('jp-mod-child');
    // The running run is marked live.
    const running = table().querySelector('[data-run-id="r3"]');
    expect(running?.classList).toContain('jp-mod-running');
    expect(running?.textContent).toContain('Running');
    // The body is as tall as every loaded row (windowing keeps the scroll
    // range).
    const body = table().querySelector('tbody') as HTMLElement;
    expect(parseFloat(body.style.height)).toBeGreaterThan(100 * 20);
    const count = () =>
      panel.node.querySelector('.jp-Trackside-RunCount')?.textContent;
    expect(count()).toBe('100 runs loaded, more as you scroll');

    // Scrolled to the last loaded rows (48 px each before the stylesheet):
    // the next page is asked for with MLflow's token.
    jest
      .spyOn(body, 'getBoundingClientRect')
      .mockReturnValue({ top: -(100 * 48 - 400) } as DOMRect);
    window.dispatchEvent(new Event('scroll'));
    await waitFor(() => model.runs('7')?.runs?.length === 1100);
    expect(searches().map(s => [s.max_results, s.page_token])).toEqual([
      [100, undefined],
      [1000, '100']
    ]);
    await waitFor(() => count() === '1100 runs loaded, more as you scroll');
  });

  it('collapses the child runs of a parent', async () => {
    const toggle = table().querySelector<HTMLButtonElement>(
      '[data-run-id="r0"] .jp-Trackside-RunToggle'
    )!;
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    toggle.click();
    await waitFor(() => table().querySelector('[data-run-id="r1"]') === null);
    expect(model.tableModel('7').rows).toHaveLength(98);
  });

  it('sorts by a header click on the server and says so with aria-sort', async () => {
    const header = () =>
      table().querySelector('[role="columnheader"][data-column="name"]')!;
    expect(header().getAttribute('aria-sort')).toBe('none');
    header().querySelector('button')!.click();
    await waitFor(() => header().getAttribute('aria-sort') === 'ascending');
    header().querySelector('button')!.click();
    await waitFor(() => header().getAttribute('aria-sort') === 'descending');
    // Runs are left on the server: the sort is MLflow's order_by.
    await waitFor(
      () =>
        searches().at(-1)?.order_by?.[0] === 'attributes.run_name DESC' &&
        model.runs('7')?.isLoading === false
    );
    expect(searches().at(-1)?.order_by).toEqual([
      'attributes.run_name DESC',
      'attributes.start_time DESC'
    ]);
    await waitFor(
      () =>
        bodyRows()[0]
          .querySelector('[role="rowheader"]')
          ?.getAttribute('aria-label') === 'run-9999'
    );
    expect(
      bodyRows()[0]
        .querySelector('[role="rowheader"]')
        ?.getAttribute('aria-label')
    ).toBe('run-9999');
  });

  it('adds a param column from the picker', async () => {
    const picker = panel.node.querySelector('.jp-Trackside-ColumnPicker')!;
    const labels = Array.from(picker.querySelectorAll('label')).map(
      l => l.textContent
    );
    expect(labels).toEqual(['alpha', 'rmse']);
    picker.querySelector<HTMLInputElement>('input')!.click();
    await waitFor(
      () =>
        table().querySelector(
          '[role="columnheader"][data-column="param:alpha"]'
        ) !== null
    );
    expect(
      table().querySelector('[data-run-id="r5"] .jp-Trackside-RunValue')
        ?.textContent
    ).toBe('alpha=5');
  });

  it("shows the server's error inline for an invalid filter, keeping the runs", async () => {
    const input = panel.node.querySelector<HTMLInputElement>(
      'input[type="search"]'
    )!;
    const form = input.form!;
    expect(form.getAttribute('role')).toBe('search');

    // React tracks the value; set it through the native setter.
    const setter = Object.getOwnPropertyDescriptor(
      HTMLInputElement.prototype,
      'value'
    )!.set!;
    setter.call(input, 'bad');
    input.dispatchEvent(new Event('input', { bubbles: true }));
    form.requestSubmit();
    await waitFor(
      () => panel.node.querySelector('.jp-Trackside-FilterError') !== null
    );
    const alert = panel.node.querySelector('.jp-Trackside-FilterError')!;
    expect(alert.getAttribute('role')).toBe('alert');
    expect(alert.textContent).toContain("Invalid filter 'bad'");
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(input.getAttribute('aria-describedby')).toBe(alert.id);
    expect(model.runs('7')?.runs).toHaveLength(100);
    expect(bodyRows().length).toBeGreaterThan(5);

    setter.call(input, "params.alpha = '3'");
    input.dispatchEvent(new Event('input', { bubbles: true }));
    form.requestSubmit();
    await waitFor(
      () =>
        model.runs('7')?.isLoading === false &&
        model.filter('7') === "params.alpha = '3'"
    );
    await waitFor(
      () => panel.node.querySelector('.jp-Trackside-FilterError') === null
    );
    // The first page of the matching runs.
    expect(model.runs('7')?.runs?.length).toBe(100);
    expect(searches().at(-1)?.page_token).toBeUndefined();
    expect(
      bodyRows()[0]
        .querySelector('[role="rowheader"]')
        ?.getAttribute('aria-label')
    ).toBe('run-3');
  });

  it('selects runs and opens the comparison', async () => {
    const boxes = () =>
      Array.from(
        table().querySelectorAll<HTMLInputElement>(
          'tbody input[type="checkbox"]'
        )
      );
    expect(boxes()[0].getAttribute('aria-label')).toBe(
      'Select run-0 for comparison'
    );
    boxes()[0].click();
    await waitFor(
      () => panel.node.querySelector('.jp-Trackside-SelectionBar') !== null
    );
    expect(panel.node.querySelector('.jp-Trackside-CompareButton')).toBeNull();
    boxes()[3].click();
    await waitFor(
      () => panel.node.querySelector('.jp-Trackside-CompareButton') !== null
    );
    const compare = panel.node.querySelector<HTMLButtonElement>(
      '.jp-Trackside-CompareButton'
    )!;
    expect(compare.textContent).toBe('Compare (2)');
    expect(boxes()[3].closest('tr')?.getAttribute('aria-selected')).toBe(
      'true'
    );
    compare.click();
    expect(model.connection.view).toEqual({
      kind: 'compare',
      runIds: ['r0', 'r3']
    });
  });

  it('opens a run from its name', () => {
    table()
      .querySelector<HTMLButtonElement>(
        '[data-run-id="r4"] .jp-Trackside-RunLink'
      )!
      .click();
    expect(model.connection.view).toEqual({
      kind: 'run',
      experimentId: '7',
      runId: 'r4'
    });
  });
});
