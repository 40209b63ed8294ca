/**
 * Regenerates the README's screenshot of the Trackside panel:
 *   scripts/dev screenshot
 *
 * With TRACKSIDE_SHOTS_DIR set, also writes panel-only shots at several
 * sidebar widths and in the dark theme there, for a visual check (not
 * committed), and checks that the panel never scrolls horizontally.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { Locator } from '@playwright/test';
import * as path from 'path';
import { openHealthyPanel, runPython } from '../tests/helpers';

const output = path.resolve(
  __dirname,
  '..',
  '..',
  'docs',
  'images',
  'panel.png'
);

const shotsDir = process.env.TRACKSIDE_SHOTS_DIR;

const LOG_RUNS = `
import mlflow, sys
mlflow.set_tracking_uri(sys.argv[1])
mlflow.set_experiment("iris-logistic-regression")
for c, acc in [(0.1, 0.913), (1.0, 0.967), (10.0, 0.953)]:
    with mlflow.start_run(run_name=f"C={c}"):
        mlflow.log_param("C", c)
        mlflow.log_metric("accuracy", acc)
        mlflow.log_metric("f1", acc - 0.01)
        mlflow.log_metric("log_loss", 0.31 / (1 + c))
with mlflow.start_run(run_name="C=1000.0"):
    mlflow.log_param("C", 1000.0)
    mlflow.log_metric("accuracy", 0.6)
    mlflow.end_run(status="FAILED")
# A run still in progress, as a notebook cell would leave it.
client = mlflow.MlflowClient()
experiment = client.get_experiment_by_name("iris-logistic-regression")
run = client.create_run(experiment.experiment_id, run_name="C=0.01 (cross-validation)")
client.log_metric(run.info.run_id, "accuracy", 0.8912345)
mlflow.set_experiment("wine-quality-hyperopt")
with mlflow.start_run(run_name="hyperopt-search"):
    mlflow.log_metric("best_eval_rmse", 0.74)
`;

test('panel screenshot', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  const { panel, trackingUri } = await openHealthyPanel(page);
  runPython(LOG_RUNS, [trackingUri]);
  const experiment = panel.getByRole('button', {
    name: 'iris-logistic-regression',
    exact: true
  });
  await experiment.click();
  await expect(panel.getByRole('rowheader', { name: 'C=10.0' })).toBeVisible();
  await expect(
    panel.getByRole('rowheader', { name: 'C=0.01 (cross-validation)' })
  ).toBeVisible();
  // The default sidebar width works; a slightly wider one reads better in
  // the README.
  await expectNoHorizontalScroll(panel);
  await setPanelWidth(page, panel, 360);
  await expectNoHorizontalScroll(panel);
  await page.screenshot({ path: output });

  if (!shotsDir) {
    return;
  }
  // A long experiment name: its update time wraps below it at narrow widths.
  const longName = 'customer-churn-gradient-boosting-with-feature-selection';
  runPython(
    'import mlflow, sys; mlflow.set_tracking_uri(sys.argv[1]); mlflow.set_experiment(sys.argv[2])',
    [trackingUri, longName]
  );
  await page.evaluate(async () => {
    await window.jupyterapp.commands.execute('trackside:refresh');
  });
  await expect(
    panel.getByRole('button', { name: longName, exact: true })
  ).toBeVisible({ timeout: 60_000 });
  for (const width of [260, 320, 500, 700]) {
    await setPanelWidth(page, panel, width);
    await expectNoHorizontalScroll(panel);
    await panel.screenshot({ path: path.join(shotsDir, `panel-${width}.png`) });
  }
  await setPanelWidth(page, panel, 260);
  await page.theme.setDarkTheme();
  await expect(panel).toBeVisible();
  await expectNoHorizontalScroll(panel);
  await panel.screenshot({ path: path.join(shotsDir, 'panel-dark-260.png') });
  await setPanelWidth(page, panel, 500);
  // Keyboard focus on an experiment shows the focus ring.
  await panel
    .getByRole('button', { name: 'wine-quality-hyperopt', exact: true })
    .focus();
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Tab');
  await panel.screenshot({ path: path.join(shotsDir, 'panel-dark-500.png') });
  await page.screenshot({ path: path.join(shotsDir, 'page-dark.png') });
  await page.theme.setLightTheme();
});

/**
 * Drag the right sidebar's split handle so that the panel is `width` wide.
 */
async function setPanelWidth(
  page: IJupyterLabPageFixture,
  panel: Locator,
  width: number
): Promise<void> {
  await page.sidebar.setWidth(width, 'right');
  await expect
    .poll(async () => Math.round((await panel.boundingBox())?.width ?? 0))
    .toBeGreaterThanOrEqual(width - 40);
}

/**
 * The panel content never needs a horizontal scrollbar.
 */
async function expectNoHorizontalScroll(panel: Locator): Promise<void> {
  const view = panel.locator('.jp-Trackside-View');
  const overflow = await view.evaluate(
    node => node.scrollWidth - node.clientWidth
  );
  expect(overflow).toBeLessThanOrEqual(0);
}
