/**
 * The live metric stream end to end: a tracked notebook's cell logs with
 * plain `mlflow.log_metric`, the kernel streams the points over the
 * `trackside.metrics` comm, and the run's chart in the panel grows while the
 * cell is still running; after a kernel restart or a page reload mid-stream
 * the chart recovers and converges to what MLflow holds.
 */
import { expect, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';
import { execFileSync } from 'child_process';
import {
  cellRunning,
  currentKernelId,
  docShot,
  embeddedLogin,
  openHealthyPanel,
  reloadLab,
  python,
  restartKernel,
  setCellSource,
  startCell,
  trackNotebook,
  tracksideLoaded
} from './helpers';

// JupyterLab's own kernel restart (see `restartKernel`).
test.use({ kernels: null });

/**
 * A cell logging `loss` once per `pause` seconds for `steps` steps.
 */
function streamingCell(
  experiment: string,
  run: string,
  steps: number,
  pause: number
): string {
  return [
    'import time',
    'import mlflow',
    `mlflow.set_experiment(${JSON.stringify(experiment)})`,
    `active = mlflow.start_run(run_name=${JSON.stringify(run)})`,
    `for step in range(${steps}):`,
    "    mlflow.log_metric('loss', 1 / (step + 1), step=step)",
    `    time.sleep(${pause})`,
    'mlflow.end_run()'
  ].join('\n');
}

/**
 * A run name unique to this attempt (a retry logs to the same backend).
 */
function uniqueName(base: string): string {
  return `${base}-${Date.now().toString(36)}`;
}

/**
 * The last step a chart shows, from its text summary (null: no points).
 */
async function lastStep(chart: Locator): Promise<number | null> {
  const text = await chart
    .locator('.jp-Trackside-ChartSummary')
    .textContent({ timeout: 1000 })
    .catch(() => null);
  const match = /\(step (\d+)\)$/.exec(text ?? '');
  return match ? Number(match[1]) : null;
}

/**
 * Sample, in the page every 100 ms for `duration` ms, a chart's last step
 * and whether the current notebook's first cell still runs.
 */
async function sampleSteps(
  chart: Locator,
  duration: number
): Promise<{ step: number | null; running: boolean; at: number }[]> {
  return chart.evaluate(async (node, duration) => {
    const summary = node.querySelector('.jp-Trackside-ChartSummary');
    const panel = window.jupyterapp.shell.currentWidget as unknown as {
      content?: { widgets: ReadonlyArray<{ promptNode: HTMLElement | null }> };
    };
    const samples: { step: number | null; running: boolean; at: number }[] = [];
    const start = performance.now();
    while (performance.now() - start < duration) {
      const match = /\(step (\d+)\)$/.exec(summary?.textContent ?? '');
      const prompt = panel.content?.widgets[0]?.promptNode;
      samples.push({
        step: match ? Number(match[1]) : null,
        running: (prompt?.textContent ?? '').includes('[*]'),
        at: Math.round(performance.now() - start)
      });
      await new Promise(resolve => setTimeout(resolve, 100));
    }
    return samples;
  }, duration);
}

/**
 * Open a run's detail in the panel and return its chart of `loss`.
 */
async function openRunChart(
  panel: Locator,
  experiment: string,
  run: string
): Promise<Locator> {
  const experimentButton = panel.getByRole('button', {
    name: experiment,
    exact: true
  });
  await expect(experimentButton).toBeVisible({ timeout: 60_000 });
  await experimentButton.click();
  const runButton = panel.getByRole('button', { name: run, exact: true });
  await expect(runButton).toBeVisible({ timeout: 60_000 });
  await runButton.click();
  const chart = panel.getByRole('figure', { name: 'Chart of loss' });
  await panel
    .locator('.jp-Trackside-ChartHost')
    .filter({ hasText: 'loss' })
    .first()
    .scrollIntoViewIfNeeded();
  await expect(chart).toBeVisible({ timeout: 60_000 });
  return chart;
}

/**
 * The steps MLflow holds for a run's `loss`, read with MLflow's client.
 */
function mlflowSteps(trackingUri: string, experiment: string, run: string) {
  const output = execFileSync(
    python,
    [
      '-c',
      [
        'import json, sys',
        'from mlflow import MlflowClient',
        'client = MlflowClient(sys.argv[1])',
        'exp = client.get_experiment_by_name(sys.argv[2])',
        'runs = client.search_runs([exp.experiment_id],',
        '    filter_string=f"attributes.run_name = \'{sys.argv[3]}\'")',
        "history = client.get_metric_history(runs[0].info.run_id, 'loss')",
        'print(json.dumps(sorted(m.step for m in history)))'
      ].join('\n'),
      trackingUri,
      experiment,
      run
    ],
    {
      encoding: 'utf-8',
      timeout: 60_000,
      env: { ...process.env, ...embeddedLogin() }
    }
  );
  return JSON.parse(output) as number[];
}

/**
 * The steps a chart draws for its (one) run, from Plotly's data.
 */
async function chartSteps(chart: Locator): Promise<number[]> {
  return chart.evaluate(node => {
    const plot = node.querySelector('.js-plotly-plot') as unknown as {
      data: Array<{ x: ArrayLike<number>; name?: string }>;
    };
    // The raw line is the last trace (an envelope may come first).
    return Array.from(plot.data[plot.data.length - 1].x);
  });
}

test.describe('Live metric stream', () => {
  test('a cell streams a metric and the chart grows while it runs', async ({
    page
  }) => {
    const run = uniqueName('live-run');

    await page.notebook.createNew('live.ipynb');
    await trackNotebook(page);
    await setCellSource(page, 0, streamingCell('galata-live', run, 250, 0.1));
    const { panel, trackingUri } = await openHealthyPanel(page);
    await startCell(page, 0);
    const chart = await openRunChart(panel, 'galata-live', run);
    await docShot(page, 'live-chart');

    // While the cell runs, the chart's last step keeps moving.
    const samples = await sampleSteps(chart, 6000);
    const whileBusy = samples.filter(s => s.running && s.step !== null);
    const steps = whileBusy.map(s => s.step as number);
    expect(new Set(steps).size).toBeGreaterThanOrEqual(10);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(Math.min(...steps)).toBeLessThan(200);

    // When the cell is done, the chart holds exactly what MLflow holds.
    await expect.poll(() => lastStep(chart), { timeout: 90_000 }).toBe(249);
    await expect.poll(() => cellRunning(page, 0)).toBe(false);
    await expect
      .poll(() => mlflowSteps(trackingUri, 'galata-live', run).length, {
        timeout: 60_000
      })
      .toBe(250);
    await expect
      .poll(() => chartSteps(chart), { timeout: 30_000 })
      .toEqual(Array.from({ length: 250 }, (_, i) => i));
  });

  test('[A16] after a kernel restart mid-stream the chart recovers', async ({
    page
  }) => {
    const run = uniqueName('restart-run');
    await page.notebook.createNew('restart.ipynb');
    await trackNotebook(page);
    await setCellSource(
      page,
      0,
      streamingCell('galata-restart', run, 600, 0.05)
    );
    await setCellSource(
      page,
      1,
      [
        'import mlflow',
        "[run] = mlflow.search_runs(experiment_names=['galata-restart'],",
        `    filter_string="attributes.run_name = '${run}'", output_format='list')`,
        'with mlflow.start_run(run_id=run.info.run_id):',
        '    for step in range(1000, 1050):',
        "        mlflow.log_metric('loss', 0.5, step=step)"
      ].join('\n')
    );
    const { panel, trackingUri } = await openHealthyPanel(page);
    await startCell(page, 0);
    const chart = await openRunChart(panel, 'galata-restart', run);
    await expect
      .poll(async () => (await lastStep(chart)) ?? -1, { timeout: 60_000 })
      .toBeGreaterThanOrEqual(30);

    await restartKernel(page);
    await expect
      .poll(() => tracksideLoaded(page), { timeout: 60_000 })
      .toBe('True');
    // What the old kernel logged is in MLflow (replayed from its journal
    // in the background if it had not been sent), and the chart converges
    // to it.
    let before: number[] = [];
    await expect
      .poll(
        async () => {
          const previous = before.length;
          before = mlflowSteps(trackingUri, 'galata-restart', run);
          return previous > 0 && before.length === previous;
        },
        { timeout: 60_000, intervals: [2000] }
      )
      .toBe(true);
    expect(before.length).toBeGreaterThanOrEqual(30);
    expect(before).toEqual(before.map((_, i) => i));
    await expect
      .poll(() => lastStep(chart), { timeout: 30_000 })
      .toBe(before.length - 1);

    // The new kernel's points stream into the same chart.
    await page.notebook.runCell(1, true);
    await expect.poll(() => lastStep(chart), { timeout: 60_000 }).toBe(1049);
    const after = mlflowSteps(trackingUri, 'galata-restart', run);
    expect(after).toEqual([
      ...before,
      ...Array.from({ length: 50 }, (_, i) => 1000 + i)
    ]);
    await expect
      .poll(() => chartSteps(chart), { timeout: 30_000 })
      .toEqual(after);
  });

  test('[A16] after a page reload mid-stream the chart keeps streaming', async ({
    page,
    tmpPath
  }) => {
    const run = uniqueName('reload-run');
    // Saved under its final name before it is opened: a notebook created as
    // Untitled.ipynb and renamed can come back as "Untitled.ipynb" from a
    // workspace saved before the rename, and then gets a new kernel.
    const notebook = `${tmpPath}/reload.ipynb`;
    await page.contents.uploadContent(
      JSON.stringify({
        cells: [
          {
            cell_type: 'code',
            id: 'stream',
            source: '',
            metadata: {},
            outputs: [],
            execution_count: null
          }
        ],
        metadata: {
          kernelspec: {
            name: 'python3',
            display_name: 'Python 3 (ipykernel)',
            language: 'python'
          }
        },
        nbformat: 4,
        nbformat_minor: 5
      }),
      'text',
      notebook
    );
    await page.notebook.openByPath(notebook);
    await page.notebook.activate('reload.ipynb');
    await expect.poll(() => currentKernelId(page)).not.toBe('');
    await trackNotebook(page);
    await setCellSource(page, 0, streamingCell('galata-reload', run, 400, 0.1));
    await page.notebook.save();
    let { panel } = await openHealthyPanel(page);
    const kernel = await currentKernelId(page);
    await startCell(page, 0);
    let chart = await openRunChart(panel, 'galata-reload', run);
    await expect
      .poll(async () => (await lastStep(chart)) ?? -1, { timeout: 60_000 })
      .toBeGreaterThanOrEqual(10);

    await reloadLab(page);
    if (!(await page.notebook.isOpen('reload.ipynb'))) {
      await page.notebook.openByPath(notebook);
    }
    await page.notebook.activate('reload.ipynb');
    // The same kernel, still running the cell.
    await expect.poll(() => currentKernelId(page)).toBe(kernel);
    ({ panel } = await openHealthyPanel(page));
    chart = await openRunChart(panel, 'galata-reload', run);
    await expect
      .poll(async () => (await lastStep(chart)) ?? -1, { timeout: 30_000 })
      .toBeGreaterThanOrEqual(20);

    // Live again: ~10 points a second while the cell runs (it logs up to
    // step 399), not only the panel's periodic refresh (seconds apart).
    const samples = await sampleSteps(chart, 4000);
    const steps = samples.filter(s => s.step !== null).map(s => s.step!);
    expect(new Set(steps).size).toBeGreaterThanOrEqual(8);
    expect(Math.max(...steps)).toBeLessThan(399);
  });
});
