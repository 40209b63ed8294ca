import { expect, test } from '@jupyterlab/galata';
import { runPython } from './helpers';

/** Log a run the way a user's own script would: the plain mlflow client. */
function logRunFromPython(
  trackingUri: string,
  experiment: string,
  run: string
) {
  const code = [
    'import mlflow, sys',
    'mlflow.set_tracking_uri(sys.argv[1])',
    'mlflow.set_experiment(sys.argv[2])',
    'with mlflow.start_run(run_name=sys.argv[3]):',
    "    mlflow.log_param('alpha', 0.5)",
    '    for step, loss in enumerate([0.9, 0.4, 0.125]):',
    "        mlflow.log_metric('loss', loss, step=step)"
  ].join('\n');
  runPython(code, [trackingUri, experiment, run]);
}

test.describe('Trackside panel', () => {
  test('shows the embedded backend and a run logged from Python', async ({
    page
  }) => {
    await page.evaluate(async () => {
      await window.jupyterapp.commands.execute('trackside:open-panel');
    });
    const panel = page.getByRole('region', { name: 'Trackside' });
    await expect(panel).toBeVisible();

    const status = panel.locator('.jp-Trackside-Status');
    await expect(status).toContainText('embedded');
    // The embedded MLflow server starts in the background; wait until it answers.
    await expect(status.locator('.jp-Trackside-StatusHealth')).toHaveText(
      'healthy',
      { timeout: 120_000 }
    );

    const response = await page.request.get('/trackside/api/status');
    expect(response.ok()).toBe(true);
    const backend = await response.json();
    expect(backend.mode).toBe('embedded');
    expect(backend.healthy).toBe(true);

    logRunFromPython(backend.tracking_uri, 'galata-experiment', 'galata-run');

    const experiment = panel.getByRole('button', {
      name: 'galata-experiment',
      exact: true
    });
    await expect(experiment).toBeVisible({ timeout: 60_000 });
    await experiment.click();
    await expect(experiment).toHaveAttribute('aria-expanded', 'true');
    const runs = panel.getByRole('table', {
      name: 'Runs of galata-experiment'
    });
    await expect(
      runs.getByRole('rowheader', { name: 'galata-run' })
    ).toBeVisible();
    await expect(panel.getByText(/loss\s*=\s*0\.125/)).toBeVisible();
  });
});
