import { expect, test } from '@jupyterlab/galata';
import { openHealthyPanel, reloadLab, runPython } from './helpers';

const EXPERIMENT = 'galata-experiment-view';

/**
 * Run names longer than the sidebar is wide.
 */
const NAMES = [
  'gradient-boosting-lr-0.05-depth-6-subsample-0.8-baseline',
  'gradient-boosting-lr-0.10-depth-8-subsample-0.9-candidate'
];

/**
 * Two runs with the plain mlflow client: a curve (`loss`, ten steps) and
 * two single values (`accuracy`, `rmse`).
 */
const LOG_RUNS = `
import mlflow, sys
mlflow.set_tracking_uri(sys.argv[1])
mlflow.set_experiment(sys.argv[2])
for name, rmse, acc in [(sys.argv[3], 0.41, 0.80), (sys.argv[4], 0.27, 0.91)]:
    with mlflow.start_run(run_name=name):
        mlflow.log_metrics({"rmse": rmse, "accuracy": acc})
        for step in range(10):
            mlflow.log_metric("loss", rmse * 10 / (step + 1), step=step)
`;

// Galata's user mock routes /.*\/api\/me.*/, which also catches
// /trackside/api/metrics/history (the curves' backfill).
test.use({ mockUser: false });

test.describe('Trackside experiment view', () => {
  test('opens full width in the main area: whole run names, one chart per key', async ({
    page
  }) => {
    const { panel, trackingUri } = await openHealthyPanel(page);
    runPython(LOG_RUNS, [trackingUri, EXPERIMENT, ...NAMES]);
    // The main area gets the room the file browser had.
    await page.sidebar.close('left');

    const open = panel.getByRole('button', {
      name: `Open ${EXPERIMENT} in the main area`
    });
    await expect(open).toBeVisible({ timeout: 60_000 });
    await open.click();

    const view = page
      .locator('#jp-main-dock-panel')
      .getByRole('region', { name: `Experiment ${EXPERIMENT}` });
    await expect(view).toBeVisible();
    await expect(page.getByRole('tab', { name: EXPERIMENT })).toBeVisible();
    // The sidebar stays the compact list.
    await expect(
      panel.getByRole('list', { name: 'Experiments' })
    ).toBeVisible();

    const table = view.getByRole('table', { name: `Runs of ${EXPERIMENT}` });
    for (const name of NAMES) {
      const link = table.getByRole('button', { name, exact: true });
      await expect(link).toHaveText(name);
      // Whole: neither cut sideways nor below the row's edge.
      expect(
        await link.evaluate(node => {
          const box = node.getBoundingClientRect();
          const row = node.closest('[role="row"]')!.getBoundingClientRect();
          return (
            node.scrollWidth <= node.clientWidth &&
            box.top >= row.top &&
            box.bottom <= row.bottom
          );
        })
      ).toBe(true);
    }

    const charts = view.getByRole('region', {
      name: 'Charts of the selected runs'
    });
    await expect(charts).toContainText(
      'Select runs in the table to chart their metrics.'
    );
    for (const name of NAMES) {
      await table
        .getByRole('checkbox', { name: `Select ${name} for comparison` })
        .check();
    }
    await expect(charts).toContainText(
      'Charts of 2 selected runs (3 metric keys)'
    );

    // One chart per metric key over the two runs: a curve for loss, bars
    // for the single values.
    const hosts = charts.locator(
      '.jp-Trackside-ChartHost, .jp-Trackside-BarChartHost'
    );
    await expect(hosts).toHaveCount(3);
    for (const key of ['accuracy', 'loss', 'rmse']) {
      // Charts are created when scrolled into view.
      await hosts.filter({ hasText: key }).scrollIntoViewIfNeeded();
      const chart = charts.getByRole('figure', { name: `Chart of ${key}` });
      await expect(chart.locator('.js-plotly-plot')).toBeVisible({
        timeout: 60_000
      });
    }
    await expect(charts.getByRole('figure')).toHaveCount(3);
    const loss = charts.getByRole('figure', { name: 'Chart of loss' });
    await expect(loss.locator('.scatterlayer .trace')).toHaveCount(2, {
      timeout: 60_000
    });
    await expect(loss.locator('.legend .traces')).toHaveText(NAMES);

    // The selection is the sidebar's too.
    await expect(panel.getByText('2 runs selected')).toBeVisible();

    // The view comes back with the layout after a reload.
    await reloadLab(page);
    await expect(view).toBeVisible({ timeout: 60_000 });
    await expect(
      view.getByRole('table', { name: `Runs of ${EXPERIMENT}` })
    ).toBeVisible({ timeout: 60_000 });
  });
});
