/**
 * Regenerates the README's screenshot of the Trackside panel:
 *   scripts/dev screenshot
 */
import { expect, test } from '@jupyterlab/galata';
import { execFileSync } from 'child_process';
import * as path from 'path';

const python =
  process.env.TRACKSIDE_PYTHON ??
  path.resolve(__dirname, '..', '..', '.venv', 'bin', 'python');
const output = path.resolve(
  __dirname,
  '..',
  '..',
  'docs',
  'images',
  'panel.png'
);

const LOG_RUNS = `
import mlflow, sys
mlflow.set_tracking_uri(sys.argv[1])
mlflow.set_experiment("iris-logistic-regression")
for c, acc in [(0.1, 0.913), (1.0, 0.967), (10.0, 0.953)]:
    with mlflow.start_run(run_name=f"C={c}"):
        mlflow.log_param("C", c)
        mlflow.log_metric("accuracy", acc)
        mlflow.log_metric("f1", acc - 0.01)
mlflow.set_experiment("wine-quality-hyperopt")
with mlflow.start_run(run_name="hyperopt-search"):
    mlflow.log_metric("best_eval_rmse", 0.74)
`;

test('panel screenshot', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.evaluate(async () => {
    await window.jupyterapp.commands.execute('trackside:open-panel');
  });
  const panel = page.getByRole('region', { name: 'Trackside' });
  await expect(panel.locator('.jp-Trackside-StatusHealth')).toHaveText(
    'healthy',
    { timeout: 120_000 }
  );
  const status = await (await page.request.get('/trackside/api/status')).json();
  execFileSync(python, ['-c', LOG_RUNS, status.tracking_uri], {
    stdio: 'inherit'
  });
  const experiment = panel.getByRole('button', {
    name: 'iris-logistic-regression',
    exact: true
  });
  await experiment.click();
  await expect(panel.getByRole('rowheader', { name: 'C=10.0' })).toBeVisible();
  await page.screenshot({ path: output });
});
