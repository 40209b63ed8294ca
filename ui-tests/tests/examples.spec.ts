/**
 * The deep-learning example end to end, as a user runs it: open
 * `2-DLMLFLOW/starter.ipynb` from the file browser, turn tracking on, run
 * all cells, and watch the hyperopt trials appear in the panel as nested
 * runs under the search, each with its per-epoch loss curve drawn while the
 * search cell is still running.
 *
 * `scripts/dev screenshot` takes the README's screenshots of the search
 * from this test.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import * as path from 'path';
import {
  cellRunning,
  docShot,
  openHealthyPanel,
  trackNotebook
} from './helpers';

const NOTEBOOK = path.resolve(
  __dirname,
  '..',
  '..',
  'examples',
  '2-DLMLFLOW',
  'starter.ipynb'
);

/**
 * The index of the notebook cell whose source starts with `prefix`.
 */
async function cellIndex(
  page: IJupyterLabPageFixture,
  prefix: string
): Promise<number> {
  return page.evaluate(prefix => {
    const panel = window.jupyterapp.shell.currentWidget as unknown as {
      content: {
        widgets: ReadonlyArray<{ model: { sharedModel: { source: string } } }>;
      };
    };
    return panel.content.widgets.findIndex(cell =>
      cell.model.sharedModel.source.startsWith(prefix)
    );
  }, prefix);
}

test.describe('Example notebooks', () => {
  // Eight hyperopt trials of ten epochs on 2 cores.
  test.setTimeout(15 * 60 * 1000);

  test('starter.ipynb: nested trials and their loss curves appear live', async ({
    page,
    tmpPath
  }) => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.contents.uploadFile(
      NOTEBOOK,
      `${tmpPath}/2-DLMLFLOW/starter.ipynb`
    );
    await page.filebrowser.openDirectory(`${tmpPath}/2-DLMLFLOW`);
    await page
      .locator('.jp-DirListing-item', { hasText: 'starter.ipynb' })
      .dblclick();
    await expect(
      page.getByRole('tab', { name: 'starter.ipynb' })
    ).toBeVisible();
    await expect
      .poll(() =>
        page.evaluate(
          () =>
            (
              window.jupyterapp.shell.currentWidget as unknown as {
                sessionContext?: { session: { kernel: unknown } | null };
              }
            ).sessionContext?.session?.kernel != null
        )
      )
      .toBe(true);
    await trackNotebook(page);
    const { panel } = await openHealthyPanel(page);

    const search = await cellIndex(page, '%%mlflow --run-name hyperopt-search');
    expect(search).toBeGreaterThan(0);
    await page.evaluate(() => {
      void window.jupyterapp.commands.execute('notebook:run-all-cells');
    });

    // The experiment, then the search and its trials as nested runs.
    const experiment = panel.getByRole('button', {
      name: 'wine-quality',
      exact: true
    });
    await expect(experiment).toBeVisible({ timeout: 180_000 });
    await experiment.click();
    const runs = panel.getByRole('table', { name: 'Runs of wine-quality' });
    await expect(
      runs.getByRole('rowheader', { name: 'hyperopt-search' })
    ).toBeVisible({ timeout: 180_000 });
    const children = runs.locator('.jp-Trackside-Run.jp-mod-child');
    const runningChild = runs.locator(
      '.jp-Trackside-Run.jp-mod-child.jp-mod-running'
    );
    await expect(runningChild.first()).toBeVisible({ timeout: 180_000 });
    expect(await cellRunning(page, search)).toBe(true);

    await docShot(page, 'hyperopt-runs');

    // A trial still training: its per-epoch loss curve grows while the
    // search cell runs. On a loaded machine a short trial can end before its
    // chart is first drawn (the first chart of the page also loads Plotly),
    // so a trial that finishes without visible growth hands over to the
    // next running one.
    const chart = panel.getByRole('figure', { name: 'Chart of loss' });
    const epoch = async () => {
      const text =
        (await chart.locator('.jp-Trackside-ChartSummary').textContent()) ?? '';
      const match = /\(step (\d+)\)$/.exec(text);
      return match ? Number(match[1]) : -1;
    };
    const trialRunning = () =>
      panel.locator('.jp-Trackside-RunStatus.jp-mod-running').count();
    let grew = false;
    let opened = 0;
    for (let attempt = 0; attempt < 6 && !grew; attempt++) {
      opened += 1;
      if (attempt > 0) {
        await panel.getByRole('button', { name: '← Runs' }).click();
        await expect(runningChild.first()).toBeVisible({ timeout: 180_000 });
      }
      const name = await runningChild
        .first()
        .locator('.jp-Trackside-RunName')
        .getAttribute('aria-label');
      expect(name).toBeTruthy();
      await panel.getByRole('button', { name: name!, exact: true }).click();
      // Charts are created when scrolled into view; keys sort 'loss' first
      // while the trial trains ('eval_rmse' comes at its end).
      await panel
        .locator('.jp-Trackside-ChartHost')
        .first()
        .scrollIntoViewIfNeeded();
      await expect(chart).toBeVisible({ timeout: 60_000 });
      await expect.poll(epoch, { timeout: 120_000 }).toBeGreaterThanOrEqual(0);
      const first = await epoch();
      await expect
        .poll(
          async () => (await epoch()) > first || (await trialRunning()) === 0,
          { timeout: 120_000 }
        )
        .toBe(true);
      grew = (await epoch()) > first && (await cellRunning(page, search));
    }
    expect(
      grew,
      `a trial's loss chart grew while the search ran (${opened} trials opened)`
    ).toBe(true);
    await expect(
      chart.locator('.js-plotly-plot .scatterlayer .trace').first()
    ).toBeAttached();

    await docShot(page, 'hyperopt-trial');

    // The search ends with every trial a finished child of it.
    await expect
      .poll(() => cellRunning(page, search), { timeout: 600_000 })
      .toBe(false);
    await panel.getByRole('button', { name: '← Runs' }).click();
    await expect(children).toHaveCount(8, { timeout: 60_000 });
    await expect(runningChild).toHaveCount(0, { timeout: 60_000 });
  });
});
