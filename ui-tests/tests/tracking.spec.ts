import { expect, test } from '@jupyterlab/galata';
import {
  cellRunning,
  openHealthyPanel,
  restartKernel,
  setCellSource,
  startCell,
  trackNotebook,
  tracksideLoaded
} from './helpers';

// JupyterLab's own kernel restart (see `restartKernel`).
test.use({ kernels: null });

/**
 * The notebook integration: "Track" toggle, auto-capture of a tracked
 * notebook's cells, the %%mlflow summary and tracking after a kernel restart.
 */
test.describe('Tracking a notebook', () => {
  test('captures cells, shows the run summary and survives a restart', async ({
    page
  }) => {
    // Unique to this attempt: a retry logs to the same backend.
    const suffix = Date.now().toString(36);
    const cellRun = `tracked-cell-${suffix}`;
    const magicRun = `magic-run-${suffix}`;
    await page.notebook.createNew('tracked.ipynb');
    await trackNotebook(page);
    const metadata = await page.evaluate(() => {
      const widget = window.jupyterapp.shell.currentWidget as unknown as {
        model: { getMetadata(key: string): unknown };
      };
      return widget.model.getMetadata('trackside');
    });
    expect(metadata).toEqual({ tracked: true });

    // A plain MLflow cell: its literal params and metric-named values are captured.
    await page.notebook.setCell(
      0,
      'code',
      [
        'import mlflow',
        "mlflow.set_experiment('galata-tracked')",
        'alpha = 0.5',
        `with mlflow.start_run(run_name='${cellRun}'):`,
        '    accuracy = 0.875'
      ].join('\n')
    );
    await page.notebook.runCell(0, true);

    // The cell magic shows its summary, rendered by Trackside as text.
    await page.notebook.addCell(
      'code',
      [`%%mlflow -n ${magicRun}`, 'learning_rate = 0.01', 'loss = 0.25'].join(
        '\n'
      )
    );
    await page.notebook.runCell(1, true);
    const summary = page.locator('.jp-Trackside-RunSummary').first();
    await expect(summary).toBeVisible();
    await expect(summary.locator('.jp-Trackside-RunSummary-name')).toHaveText(
      magicRun
    );
    await expect(
      summary.getByRole('rowheader', { name: 'learning_rate' })
    ).toBeVisible();
    await expect(
      summary.getByRole('rowheader', { name: 'loss' })
    ).toBeVisible();

    // Both runs reach the panel, with the captured values.
    const { panel } = await openHealthyPanel(page);
    const experiment = panel.getByRole('button', {
      name: 'galata-tracked',
      exact: true
    });
    await expect(experiment).toBeVisible({ timeout: 60_000 });
    await experiment.click();
    const runs = panel.getByRole('table', { name: 'Runs of galata-tracked' });
    await expect(runs.getByRole('rowheader', { name: cellRun })).toBeVisible({
      timeout: 30_000
    });
    await expect(runs.getByRole('rowheader', { name: magicRun })).toBeVisible();
    const cellRow = runs
      .getByRole('row')
      .filter({ has: page.getByRole('rowheader', { name: cellRun }) });
    await expect(cellRow.getByText(/accuracy\s*=\s*0\.875/)).toBeVisible({
      timeout: 30_000
    });

    // After a kernel restart, tracking is applied to the new kernel.
    await restartKernel(page);
    await expect
      .poll(() => tracksideLoaded(page), { timeout: 60_000 })
      .toBe('True');
  });

  test("a renamed notebook's runs record its new path", async ({
    page,
    tmpPath
  }) => {
    const run = `after-rename-${Date.now().toString(36)}`;
    await page.notebook.createNew('before.ipynb');
    await trackNotebook(page);
    await expect
      .poll(() => tracksideLoaded(page), { timeout: 60_000 })
      .toBe('True');

    // Renamed while its kernel runs: the kernel's environment still holds
    // the old path; the document's session follows the new one.
    await page.evaluate(
      ([from, to]) =>
        window.jupyterapp.serviceManager.contents.rename(from, to),
      [`${tmpPath}/before.ipynb`, `${tmpPath}/after rename.ipynb`]
    );
    await expect(
      page.getByRole('tab', { name: 'after rename.ipynb' })
    ).toBeVisible();

    await page.notebook.setCell(
      0,
      'code',
      [`%%mlflow -e galata-renamed -n ${run}`, 'loss = 0.5'].join('\n')
    );
    await page.notebook.runCell(0, true);
    await expect(page.locator('.jp-Trackside-RunSummary')).toBeVisible();

    const { panel } = await openHealthyPanel(page);
    await panel
      .getByRole('button', { name: 'galata-renamed', exact: true })
      .click({ timeout: 60_000 });
    await panel.getByRole('button', { name: run, exact: true }).click();
    const source = panel.locator('.jp-Trackside-DetailFacts');
    await expect(source.getByRole('button')).toHaveText(
      `${tmpPath}/after rename.ipynb`
    );
  });
  test('the status bar says Busy while a tracked cell runs', async ({
    page
  }) => {
    await page.notebook.createNew('status.ipynb');
    await trackNotebook(page);
    await expect
      .poll(() => tracksideLoaded(page), { timeout: 60_000 })
      .toBe('True');
    await setCellSource(
      page,
      0,
      "import mlflow\nmlflow.set_experiment('galata-status')"
    );
    await page.notebook.runCell(0, true);

    // The first metric opens the live stream's comm mid-cell.
    await setCellSource(
      page,
      1,
      [
        'import time',
        "with mlflow.start_run(run_name='status-bar'):",
        "    mlflow.log_metric('loss', 1.0, step=0)",
        '    time.sleep(8)'
      ].join('\n')
    );
    // The status bar's kernel item: "Python 3 (ipykernel) | Busy".
    const kernelStatus = page.getByRole('button', {
      name: / \| (Idle|Busy)$/
    });
    await expect(kernelStatus).toHaveText(/\| Idle$/);
    await startCell(page, 1);
    await expect(kernelStatus).toHaveText(/\| Busy$/);
    const seen: string[] = [];
    while (await cellRunning(page, 1)) {
      seen.push((await kernelStatus.innerText()).replace(/.*\| /, ''));
      await page.waitForTimeout(250);
    }
    // Sampled over the whole cell (8 s), comm opening included.
    expect(seen.length).toBeGreaterThan(10);
    expect(seen.slice(0, -1)).not.toContain('Idle');
    await expect(kernelStatus).toHaveText(/\| Idle$/);
  });
});
