import { expect, test } from '@jupyterlab/galata';
import { Locator, Page } from '@playwright/test';
import { openHealthyPanel, runPython } from './helpers';

/**
 * Log runs with the plain mlflow client: three flat runs and a parent
 * with two nested runs.
 */
const LOG_RUNS = `
import mlflow, sys
mlflow.set_tracking_uri(sys.argv[1])
mlflow.set_experiment(sys.argv[2])
for name, alpha, rmse in [("fast", "0.5", 0.2), ("slow", "0.5", 0.9), ("other", "1", 0.1)]:
    with mlflow.start_run(run_name=name):
        mlflow.log_param("alpha", alpha)
        mlflow.log_metric("rmse", rmse)
with mlflow.start_run(run_name="sweep"):
    for name in ["trial-1", "trial-2"]:
        with mlflow.start_run(run_name=name, nested=True):
            mlflow.log_metric("rmse", 0.5)
`;

async function openRuns(
  page: Page,
  experimentName: string
): Promise<{ panel: Locator; runs: Locator }> {
  const { panel, trackingUri } = await openHealthyPanel(page);
  runPython(LOG_RUNS, [trackingUri, experimentName]);
  const experiment = panel.getByRole('button', {
    name: experimentName,
    exact: true
  });
  await expect(experiment).toBeVisible({ timeout: 60_000 });
  await experiment.click();
  const runs = panel.getByRole('table', { name: `Runs of ${experimentName}` });
  await expect(runs.getByRole('rowheader', { name: 'fast' })).toBeVisible();
  return { panel, runs };
}

const runNames = (runs: Locator) =>
  runs
    .getByRole('rowheader')
    .evaluateAll(cells => cells.map(cell => cell.getAttribute('aria-label')));

test.describe('Trackside runs table', () => {
  test('nested runs appear under their parent, collapsible', async ({
    page
  }) => {
    const { runs } = await openRuns(page, 'galata-runs-nested');
    await expect(
      runs.getByRole('rowheader', { name: 'trial-2' })
    ).toBeVisible();
    const names = await runNames(runs);
    const parent = names.indexOf('sweep');
    expect(parent).toBeGreaterThanOrEqual(0);
    expect(names.slice(parent + 1, parent + 3).sort()).toEqual([
      'trial-1',
      'trial-2'
    ]);
    const child = runs.locator('.jp-Trackside-Run.jp-mod-child');
    await expect(child).toHaveCount(2);
    // Indented below the parent.
    const parentBox = await runs
      .getByRole('button', { name: 'sweep', exact: true })
      .boundingBox();
    const childBox = await runs
      .getByRole('button', { name: 'trial-1', exact: true })
      .boundingBox();
    expect(childBox!.x).toBeGreaterThan(parentBox!.x);

    const toggle = runs.getByRole('button', { name: 'sweep: 2 child runs' });
    await expect(toggle).toHaveAttribute('aria-expanded', 'true');
    await toggle.click();
    await expect(toggle).toHaveAttribute('aria-expanded', 'false');
    await expect(child).toHaveCount(0);
    await toggle.click();
    await expect(child).toHaveCount(2);
  });

  test("an invalid filter shows the server's message; a valid one narrows the runs", async ({
    page
  }) => {
    const { panel, runs } = await openRuns(page, 'galata-runs-filter');
    const search = panel.getByRole('searchbox', {
      name: 'Filter runs (MLflow search syntax)'
    });
    const before = (await runNames(runs)).length;
    expect(before).toBe(6);

    // MLflow's own message for the same filter, straight from the gateway.
    const invalid = 'metrics.rmse <<< 0.5';
    const raw = await page.evaluate(async filter => {
      const settings = window.jupyterapp.serviceManager.serverSettings;
      const xsrf = document.cookie.match(/_xsrf=([^;]+)/)?.[1] ?? '';
      const response = await fetch(
        `${settings.baseUrl}trackside/api/mlflow/runs/search`,
        {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            'X-XSRFToken': decodeURIComponent(xsrf)
          },
          body: JSON.stringify({
            experiment_ids: ['0'],
            filter,
            max_results: 1
          })
        }
      );
      return { status: response.status, body: await response.json() };
    }, invalid);
    expect(raw.status).toBe(400);
    expect(typeof raw.body.message).toBe('string');

    await search.fill(invalid);
    await search.press('Enter');
    const alert = panel.getByRole('alert');
    await expect(alert).toBeVisible();
    await expect(alert).toContainText(raw.body.message);
    await expect(search).toHaveAttribute('aria-invalid', 'true');
    // The previous results stay.
    expect((await runNames(runs)).length).toBe(before);

    await search.fill("metrics.rmse < 0.5 and params.alpha = '0.5'");
    await search.press('Enter');
    await expect(alert).toBeHidden();
    await expect.poll(() => runNames(runs)).toEqual(['fast']);
    await expect(panel.getByText('1 matching run')).toBeVisible();

    // Clearing the box shows every run again.
    await search.fill('');
    await expect.poll(async () => (await runNames(runs)).length).toBe(before);
  });

  test('sorts by a column and adds a metric column', async ({ page }) => {
    const { panel, runs } = await openRuns(page, 'galata-runs-sort');
    await panel.getByText('Columns').click();
    await panel
      .getByRole('group', { name: 'Metrics' })
      .getByLabel('rmse')
      .check();
    const header = runs.getByRole('columnheader', { name: 'rmse' });
    await expect(header).toHaveAttribute('aria-sort', 'none');
    await header.getByRole('button').click();
    await expect(header).toHaveAttribute('aria-sort', 'ascending');
    const names = await runNames(runs);
    expect(names[0]).toBe('other');
    // The children stay under their parent whatever the order.
    expect(names.indexOf('trial-1')).toBeGreaterThan(names.indexOf('sweep'));
    await header.getByRole('button').click();
    await expect(header).toHaveAttribute('aria-sort', 'descending');
    expect((await runNames(runs))[0]).toBe('slow');
  });
});
