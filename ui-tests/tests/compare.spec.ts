import { expect, test } from '@jupyterlab/galata';
import { docShot, openHealthyPanel, runPython } from './helpers';

const XSS = '<img src=x onerror=alert(1)>';

/**
 * Three runs logged with the plain mlflow client. MLflow only accepts
 * `[/\w.\- :]` in param and metric keys, so the XSS probe goes into what
 * can hold it: a run name and a param value.
 */
const LOG_RUNS = `
import mlflow, sys
mlflow.set_tracking_uri(sys.argv[1])
mlflow.set_experiment(sys.argv[2])
xss = sys.argv[3]
for name, alpha, solver, rmse, acc in [
    ("ridge-a", 0.1, "adam", 0.41, 0.80),
    ("ridge-b", 0.5, "sgd", 0.27, 0.91),
    (xss, 1.0, xss, 0.35, 0.86),
]:
    with mlflow.start_run(run_name=name):
        mlflow.log_params({"alpha": alpha, "solver": solver, "seed": 7})
        mlflow.log_metrics({"rmse": rmse, "accuracy": acc})
        for step in range(10):
            mlflow.log_metric("loss", rmse * 10 / (step + 1), step=step)
`;

// Galata's user mock routes /.*\/api\/me.*/, which also catches
// /trackside/api/metrics/history (the curves' backfill).
test.use({ mockUser: false });

test.describe('Trackside compare view', () => {
  test('[C8] compares 3 runs: table, best values, plots, run data as text', async ({
    page
  }) => {
    const dialogs: string[] = [];
    page.on('dialog', async dialog => {
      dialogs.push(dialog.message());
      await dialog.dismiss();
    });

    const { panel, trackingUri } = await openHealthyPanel(page);
    runPython(LOG_RUNS, [trackingUri, 'galata-compare', XSS]);

    const experiment = panel.getByRole('button', {
      name: 'galata-compare',
      exact: true
    });
    await expect(experiment).toBeVisible({ timeout: 60_000 });
    await experiment.click();
    const runs = panel.getByRole('table', { name: 'Runs of galata-compare' });
    // The probe is a run name shown as text.
    await expect(runs.getByRole('rowheader', { name: XSS })).toBeVisible();

    for (const name of ['ridge-a', 'ridge-b', XSS]) {
      await runs
        .getByRole('checkbox', { name: `Select ${name} for comparison` })
        .check();
    }
    await panel.getByRole('button', { name: 'Compare (3)' }).click();

    const compare = panel.getByRole('region', {
      name: 'Comparison of 3 runs'
    });
    await expect(compare).toBeVisible();
    const table = compare.getByRole('table', {
      name: 'Params and metrics of 3 runs'
    });
    await expect(table.locator('thead').getByRole('columnheader')).toHaveText([
      'ridge-a',
      'ridge-b',
      XSS
    ]);
    const row = (key: string) =>
      table.getByRole('row').filter({
        has: page.getByRole('rowheader', { name: key })
      });
    await expect(row('alpha').getByRole('cell')).toHaveText([
      '0.1',
      '0.5',
      '1.0'
    ]);
    await expect(row('solver').getByRole('cell')).toHaveText([
      'adam',
      'sgd',
      XSS
    ]);
    await expect(row('seed').getByRole('cell')).toHaveText(['7', '7', '7']);

    // Best values: lowest rmse, highest accuracy (both ridge-b).
    await expect(row('rmse').locator('td.jp-mod-best')).toHaveText(
      /^0\.27★\(best\)$/
    );
    await expect(row('accuracy').locator('td.jp-mod-best')).toHaveText(
      /^0\.91★\(best\)$/
    );
    const goal = compare.getByRole('combobox', { name: 'Best value of rmse' });
    await expect(goal).toHaveValue('min');
    await goal.selectOption('max');
    await expect(row('rmse').locator('td.jp-mod-best')).toHaveText(/^0\.41★/);

    // Differences only hides the identical seed.
    const differences = compare.getByRole('button', {
      name: 'Differences only'
    });
    await expect(differences).toHaveAttribute('aria-pressed', 'false');
    await differences.click();
    await expect(differences).toHaveAttribute('aria-pressed', 'true');
    await expect(row('seed')).toHaveCount(0);
    await expect(row('alpha')).toHaveCount(1);

    // The plots render (Plotly loaded on demand), with text summaries.
    await expect(
      compare.locator('.jp-mod-parcoords .js-plotly-plot')
    ).toBeVisible({
      timeout: 60_000
    });
    await expect(compare.locator('.jp-mod-parcoords')).toContainText(
      'Parallel coordinates of 3 runs'
    );
    await expect(
      compare.locator('.jp-mod-parcoords svg text').first()
    ).toBeAttached();
    await expect(
      compare.locator('.jp-mod-scatter .js-plotly-plot')
    ).toBeVisible();
    // The probe reaches the parcoords axis as text, not as an element.
    await expect(
      compare.locator('.jp-mod-parcoords svg').getByText(XSS)
    ).not.toHaveCount(0);

    // One chart per metric key, the three runs' curves overlaid.
    const curves = compare.getByRole('region', {
      name: 'Metric curves of 3 runs'
    });
    const loss = curves.getByRole('figure', { name: 'Chart of loss' });
    await curves
      .locator('.jp-Trackside-ChartHost')
      .filter({ hasText: 'loss' })
      .scrollIntoViewIfNeeded();
    await expect(loss).toHaveAccessibleDescription(
      `loss: 3 runs; last values: ridge-a 0.41 (step 9), ridge-b 0.27 (step 9), ${XSS} 0.35 (step 9)`,
      { timeout: 60_000 }
    );
    await expect(loss.locator('.scatterlayer .trace')).toHaveCount(3);
    await expect(loss.locator('.legend .traces')).toHaveText([
      'ridge-a',
      'ridge-b',
      XSS
    ]);
    await docShot(page, 'compare', 520);

    // Nothing anywhere turned the probe into an element.
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(dialogs).toEqual([]);

    await compare.getByRole('button', { name: 'Back to runs' }).click();
    await expect(
      runs.getByRole('rowheader', { name: 'ridge-a' })
    ).toBeVisible();
    expect(dialogs).toEqual([]);
  });
});
