/**
 * Run detail and metric charts: a run logged from Python (the plain mlflow
 * client against the embedded backend) opens in the panel with its Plotly
 * charts (SVG traces) and their text summaries; strings from the run are
 * shown as text, never as markup.
 *
 * With TRACKSIDE_SHOTS_DIR set, screenshots are written there for a visual
 * check (not committed).
 */
import { expect, test } from '@jupyterlab/galata';
import { Page } from '@playwright/test';
import * as path from 'path';
import { openHealthyPanel, runPython } from './helpers';

const shotsDir = process.env.TRACKSIDE_SHOTS_DIR;

const XSS = '<img src=x onerror=alert(1)>';

const LOG_RUN = `
import math, mlflow, sys
mlflow.set_tracking_uri(sys.argv[1])
mlflow.set_experiment(sys.argv[2])
xss = sys.argv[3]
with mlflow.start_run(run_name=sys.argv[4]):
    mlflow.log_param("alpha", 0.5)
    # MLflow only accepts markup in values and names (keys are restricted to
    # alphanumerics, _ - . space : /), so the probe is the run name, a param
    # value and a tag value.
    mlflow.log_param("probe", xss)
    mlflow.set_tag("team", xss)
    for step in range(50):
        loss = 2.0 * math.exp(-step / 12) + (0.8 if step == 30 else 0.0)
        mlflow.log_metric("loss", loss, step=step)
    mlflow.log_metric("val/acc: top 1", 1.5, step=0)
    mlflow.log_metric("val/acc: top 1", 2.5, step=1)
`;

function logRun(trackingUri: string, experiment: string, run: string): void {
  runPython(LOG_RUN, [trackingUri, experiment, XSS, run]);
}

async function shot(page: Page, name: string): Promise<void> {
  if (shotsDir) {
    await page.screenshot({ path: path.join(shotsDir, `${name}.png`) });
  }
}

// Galata's user mock routes /.*\/api\/me.*/, which also catches
// /trackside/api/metrics/history (and answers it with the user JSON).
test.use({ mockUser: false });

test.describe('Trackside run detail and charts', () => {
  test('[C8] shows the charts of a run and its strings as text', async ({
    page
  }) => {
    const dialogs: string[] = [];
    page.on('dialog', dialog => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('console', message => {
      if (message.type() === 'error' || message.type() === 'warning') {
        console.log(`[browser ${message.type()}] ${message.text()}`);
      }
    });
    await page.setViewportSize({ width: 1280, height: 900 });
    const { panel, trackingUri } = await openHealthyPanel(page);
    logRun(trackingUri, 'charts-experiment', XSS);

    const experiment = panel.getByRole('button', {
      name: 'charts-experiment',
      exact: true
    });
    await expect(experiment).toBeVisible({ timeout: 60_000 });
    await experiment.click();
    await panel.getByRole('button', { name: XSS, exact: true }).click();

    // The detail: the run name, its param and tag as text.
    const detail = panel.locator('.jp-Trackside-Detail');
    await expect(detail.locator('.jp-Trackside-DetailName')).toHaveText(XSS);
    const params = detail.getByRole('table', { name: `Parameters of ${XSS}` });
    await expect(
      params.getByRole('rowheader', { name: 'probe' })
    ).toBeVisible();
    await expect(params.getByRole('cell', { name: XSS })).toBeVisible();
    const tags = detail.getByRole('table', { name: `Tags of ${XSS}` });
    await expect(tags.getByRole('cell', { name: XSS })).toBeVisible();
    await expect(params.getByRole('cell', { name: '0.5' })).toBeVisible();

    // The loss chart: an SVG scatter trace and its text summary.
    const loss = panel.getByRole('figure', { name: 'Chart of loss' });
    await loss.scrollIntoViewIfNeeded();
    await expect(
      loss.locator('.js-plotly-plot .scatterlayer .trace').first()
    ).toBeAttached({ timeout: 60_000 });
    await expect(loss.locator('.jp-Trackside-ChartSummary')).toHaveText(
      /^loss: 1 run; last value: <img src=x onerror=alert\(1\)> 0\.03\d* \(step 49\)$/
    );
    // SVG, not WebGL.
    await expect(loss.locator('canvas.gl-canvas')).toHaveCount(0);
    // The spike at step 30 survives.
    const ys = await loss.evaluate(node => {
      const plot = node.querySelector('.js-plotly-plot') as unknown as {
        data: Array<{ y: ArrayLike<number> }>;
      };
      return Array.from(plot.data[plot.data.length - 1].y);
    });
    expect(ys).toHaveLength(50);
    expect(Math.max(...ys.slice(25))).toBeGreaterThan(0.9);

    // The second chart: the run name is text in the chart too.
    const xssChart = panel.getByRole('figure', {
      name: 'Chart of val/acc: top 1'
    });
    await xssChart.scrollIntoViewIfNeeded();
    await expect(
      xssChart.locator('.js-plotly-plot .scatterlayer .trace').first()
    ).toBeAttached({ timeout: 60_000 });
    await expect(xssChart.locator('.jp-Trackside-ChartSummary')).toHaveText(
      `val/acc: top 1: 1 run; last value: ${XSS} 2.5 (step 1)`
    );
    // Hover a point: the hover label shows the run name as text.
    const box = await xssChart.locator('.nsewdrag').first().boundingBox();
    if (box) {
      const points = await xssChart.locator('.scatterlayer .point').all();
      for (const point of points) {
        const pointBox = await point.boundingBox();
        if (pointBox) {
          await page.mouse.move(
            pointBox.x + pointBox.width / 2,
            pointBox.y + pointBox.height / 2
          );
          break;
        }
      }
      await expect(xssChart.locator('.hoverlayer')).toContainText(XSS);
    }
    await shot(page, 'charts-detail');

    // Larger, in the main area.
    await loss.scrollIntoViewIfNeeded();
    await loss.getByRole('button', { name: 'Open in main area' }).click();
    const main = page.locator('#jp-main-dock-panel .jp-Trackside-ChartPanel');
    await expect(
      main.locator('.js-plotly-plot .scatterlayer .trace').first()
    ).toBeAttached();
    await expect(main.locator('.gtitle')).toHaveText('loss');
    await shot(page, 'charts-main-area');

    // Nothing ran: no injected element, no dialog.
    await expect(page.locator('img[src="x"]')).toHaveCount(0);
    expect(dialogs).toEqual([]);

    // Back to the runs.
    await detail.getByRole('button', { name: '← Runs' }).click();
    await expect(experiment).toBeVisible();
  });
});
