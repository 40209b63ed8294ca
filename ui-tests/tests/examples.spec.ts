/**
 * The deep-learning example end to end, as a user runs it: open
 * `2-DLMLFLOW/starter.ipynb` from the file browser, turn tracking on, run
 * all cells, and watch the hyperopt trials appear in the panel as nested
 * runs under the search, each with its per-epoch loss curve drawn while the
 * search cell is still running.
 *
 * The test paces the search through the notebook's `EPOCH_GATE` parameter
 * (a file holding how many epochs may be trained), so the trial it watches
 * is still training when its chart is open.
 *
 * `scripts/dev screenshot` takes the README's screenshots of the search
 * from this test.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import * as fs from 'fs';
import * as os from 'os';
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
 * The wine quality CSV the server hands the notebook: the shared local copy
 * (see jupyter_server_test_config.py), or the notebook's canonical URL.
 */
const SHARED_WINE_CSV = path.join(
  process.env.TRACKSIDE_SHARED_DATA ??
    path.resolve(__dirname, '..', '..', '..', 'shared', 'data'),
  'winequality-white.csv'
);
const WINE_CSV_URL =
  'https://raw.githubusercontent.com/mlflow/mlflow/master/tests/datasets/winequality-white.csv';

/**
 * Why the notebook cannot get its data ('' when it can).
 */
async function missingData(): Promise<string> {
  if (fs.existsSync(SHARED_WINE_CSV)) {
    return '';
  }
  const reachable = await fetch(WINE_CSV_URL, {
    method: 'HEAD',
    signal: AbortSignal.timeout(10_000)
  }).then(
    () => true,
    () => false
  );
  return reachable
    ? ''
    : `the wine quality CSV is not at ${SHARED_WINE_CSV} (set TRACKSIDE_SHARED_DATA) and ${WINE_CSV_URL} is unreachable`;
}

/**
 * The example notebook with `EPOCH_GATE = <gate>` injected after its
 * parameters cell (as the pytest examples inject `QUICK`), written to a
 * temporary file.
 */
function pacedNotebook(gate: string): string {
  const notebook = JSON.parse(fs.readFileSync(NOTEBOOK, 'utf-8'));
  const parameters = notebook.cells.findIndex(
    (cell: { metadata: { tags?: string[] } }) =>
      cell.metadata.tags?.includes('parameters')
  );
  expect(parameters).toBeGreaterThanOrEqual(0);
  notebook.cells.splice(parameters + 1, 0, {
    cell_type: 'code',
    id: 'injected-parameters',
    metadata: { tags: ['injected-parameters'] },
    execution_count: null,
    outputs: [],
    source: `# Injected by the test\nEPOCH_GATE = ${JSON.stringify(gate)}`
  });
  const file = path.join(path.dirname(gate), 'starter.ipynb');
  fs.writeFileSync(file, JSON.stringify(notebook));
  return file;
}

/**
 * Let the paced search train `count` epochs in all: written whole (a rename),
 * so the kernel never reads a half-written number.
 */
function allowEpochs(gate: string, count: number): void {
  fs.writeFileSync(`${gate}.new`, String(count));
  fs.renameSync(`${gate}.new`, gate);
}

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
  // Eight hyperopt trials of ten epochs on 2 cores (over a minute each when
  // the machine is busy).
  test.setTimeout(25 * 60 * 1000);

  let gateFolder = '';
  test.afterEach(() => {
    if (gateFolder) {
      // Never leave the search waiting (the server stops after the run).
      allowEpochs(path.join(gateFolder, 'gate'), 1e9);
      fs.rmSync(gateFolder, { recursive: true, force: true });
      gateFolder = '';
    }
  });

  test('starter.ipynb: nested trials and their loss curves appear live', async ({
    page,
    tmpPath
  }) => {
    const missing = await missingData();
    test.skip(missing !== '', missing);

    // The search may train one epoch, then waits for the test.
    gateFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'trackside-gate-'));
    const gate = path.join(gateFolder, 'gate');
    allowEpochs(gate, 1);

    await page.setViewportSize({ width: 1440, height: 900 });
    await page.contents.uploadFile(
      pacedNotebook(gate),
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

    // The experiment, then the search and its first trial as a nested run.
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
    await expect(runningChild).toHaveCount(1, { timeout: 180_000 });
    expect(await cellRunning(page, search)).toBe(true);

    await docShot(page, 'hyperopt-runs');

    // The trial waits after its first epoch: its loss chart shows step 0.
    const name = await runningChild
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
    const chart = panel.getByRole('figure', { name: 'Chart of loss' });
    await expect(chart).toBeVisible({ timeout: 60_000 });
    const epoch = async () => {
      const text =
        (await chart.locator('.jp-Trackside-ChartSummary').textContent()) ?? '';
      const match = /\(step (\d+)\)$/.exec(text);
      return match ? Number(match[1]) : -1;
    };
    await expect.poll(epoch, { timeout: 120_000 }).toBe(0);
    await expect(
      chart.locator('.js-plotly-plot .scatterlayer .trace').first()
    ).toBeAttached();

    // One more epoch: the open chart grows while the search (waiting again)
    // still runs.
    allowEpochs(gate, 2);
    await expect.poll(epoch, { timeout: 120_000 }).toBe(1);
    expect(await cellRunning(page, search)).toBe(true);
    await expect(
      panel.locator('.jp-Trackside-RunStatus.jp-mod-running')
    ).toHaveCount(1);

    await docShot(page, 'hyperopt-trial');

    // Released, the search ends with every trial a finished child of it.
    allowEpochs(gate, 1e9);
    await expect
      .poll(() => cellRunning(page, search), { timeout: 20 * 60 * 1000 })
      .toBe(false);
    await panel.getByRole('button', { name: '← Runs' }).click();
    await expect(children).toHaveCount(8, { timeout: 60_000 });
    await expect(runningChild).toHaveCount(0, { timeout: 60_000 });
  });
});
