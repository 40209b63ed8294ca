/**
 * The example MLflow Project run from JupyterLab, as a user does it: open
 * `1-MLproject/MLproject` from the file browser (it opens in the project
 * view), change `n_estimators`, Run, watch the output stream in before the
 * process ends, follow the run link, and find the MLflow run FINISHED with
 * the chosen value; Stop a long run and find it stopped and the run
 * KILLED, still listed with its output after a page reload; an invalid
 * value shows its message and disables Run.
 *
 * The project files are copied from `examples/1-MLproject/` into the test's
 * folder of the Jupyter root. `scripts/dev screenshot` takes the README's
 * `project-view.png` from the first test, while the output streams.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';
import * as path from 'path';
import {
  docShot,
  openHealthyPanel,
  pointCount,
  reloadLab,
  runPython
} from './helpers';

const EXAMPLE = path.resolve(__dirname, '..', '..', 'examples', '1-MLproject');
const FILES = ['MLproject', 'python_env.yaml', 'train.py', 'search.py'];
const PROJECT_NAME = 'california-housing-forest';

// The MLflow run, read through MLflow's own client: its status and the
// parameter the project logged.
const CHECK_RUN = `
import mlflow, sys
uri, run_id, status, n = sys.argv[1:5]
run = mlflow.MlflowClient(uri).get_run(run_id)
assert run.info.status == status, (run.info.status, status)
assert run.data.params.get("n_estimators") == n, run.data.params
`;

test.use({ mockUser: false });

/**
 * Copy the example project into the test's folder and open its MLproject
 * with a double click in the file browser.
 */
async function openProject(
  page: IJupyterLabPageFixture,
  tmpPath: string
): Promise<Locator> {
  for (const name of FILES) {
    await page.contents.uploadFile(
      path.join(EXAMPLE, name),
      `${tmpPath}/1-MLproject/${name}`
    );
  }
  await page.filebrowser.openDirectory(`${tmpPath}/1-MLproject`);
  await page
    .locator('.jp-DirListing-itemText', { hasText: /^MLproject$/ })
    .dblclick();
  const view = page.getByRole('region', {
    name: `MLflow Project ${PROJECT_NAME}`
  });
  await expect(view).toBeVisible();
  return view;
}

/**
 * The selected execution's state label and output text, read together.
 */
async function selectedExecution(
  view: Locator
): Promise<{ state: string; output: string; runId: string }> {
  return view.evaluate(node => {
    const row = node.querySelector('tr.jp-mod-selected');
    const link = row?.querySelector('.jp-Trackside-ProjectRunLink');
    const label = link?.getAttribute('aria-label') ?? '';
    return {
      state:
        row?.querySelector('.jp-Trackside-ProjectState')?.textContent ?? '',
      output:
        node.querySelector('.jp-Trackside-ProjectOutput')?.textContent ?? '',
      runId: /[0-9a-f]{32}/.exec(label)?.[0] ?? ''
    };
  });
}

test.describe('MLflow Project view', () => {
  test.setTimeout(6 * 60 * 1000);

  test('runs the example with a changed parameter, output streaming', async ({
    page,
    tmpPath
  }) => {
    await page.setViewportSize({ width: 1440, height: 900 });
    const { panel, trackingUri } = await openHealthyPanel(page);
    const view = await openProject(page, tmpPath);

    await expect(
      view.getByRole('tab', { name: 'main', exact: true })
    ).toHaveAttribute('aria-selected', 'true');
    const trees = view.getByLabel('n_estimators', { exact: true });
    await expect(trees).toHaveValue('100');
    await trees.fill('60');
    await expect(view.getByLabel('Command', { exact: true })).toContainText(
      '-P n_estimators=60'
    );
    await view.getByRole('button', { name: 'Run', exact: true }).click();

    // A tree's line is shown while the execution is still running.
    await expect
      .poll(
        async () => {
          const seen = await selectedExecution(view);
          return seen.output.includes('tree 1/60') ? seen.state : '';
        },
        { timeout: 120_000 }
      )
      .toBe('running');
    await docShot(page, 'project-view');

    await expect
      .poll(async () => (await selectedExecution(view)).state, {
        timeout: 180_000
      })
      .toBe('finished');
    const finished = await selectedExecution(view);
    expect(finished.output).toContain('tree 60/60');
    expect(finished.runId).toMatch(/^[0-9a-f]{32}$/);
    await expect(view.locator('tr.jp-mod-selected td').nth(3)).toHaveText('0');

    // The run link opens the run in the Trackside panel.
    await view
      .getByRole('button', { name: `Open run ${finished.runId} in Trackside` })
      .click();
    await expect(
      panel.locator('.jp-Trackside-Detail .jp-Trackside-DetailMono').first()
    ).toHaveText(finished.runId);

    runPython(CHECK_RUN, [trackingUri, finished.runId, 'FINISHED', '60']);
  });

  test('follows a long run live in the panel, then stops it: KILLED', async ({
    page,
    tmpPath
  }) => {
    const { panel, trackingUri } = await openHealthyPanel(page);
    const view = await openProject(page, tmpPath);
    await view.getByLabel('n_estimators', { exact: true }).fill('5000');
    await view.getByRole('button', { name: 'Run', exact: true }).click();

    await expect
      .poll(
        async () => {
          const seen = await selectedExecution(view);
          return seen.output.includes('tree 1/5000') && seen.runId !== '';
        },
        { timeout: 120_000 }
      )
      .toBe(true);
    const { runId } = await selectedExecution(view);

    // The run link, while it runs: the panel's chart of the per-tree error
    // (the first chart; the others are drawn when scrolled to) grows before
    // the process ends.
    await view
      .getByRole('button', { name: `Open run ${runId} in Trackside` })
      .click();
    const chart = panel.getByRole('figure', { name: 'Chart of rmse' });
    await chart.scrollIntoViewIfNeeded();
    await expect
      .poll(() => pointCount(chart), { timeout: 60_000 })
      .toBeGreaterThan(0);
    const first = await pointCount(chart);
    await expect
      .poll(() => pointCount(chart), { timeout: 60_000 })
      .toBeGreaterThan(first);
    const second = await pointCount(chart);
    await expect
      .poll(() => pointCount(chart), { timeout: 60_000 })
      .toBeGreaterThan(second);
    expect((await selectedExecution(view)).state).toBe('running');

    await view.getByRole('button', { name: 'Stop main', exact: true }).click();
    await expect
      .poll(async () => (await selectedExecution(view)).state, {
        timeout: 60_000
      })
      .toBe('stopped');
    expect((await selectedExecution(view)).output).not.toContain(
      'tree 5000/5000'
    );
    runPython(CHECK_RUN, [trackingUri, runId, 'KILLED', '5000']);

    // After a page reload the execution is still listed, and its output is
    // read again from the start.
    await reloadLab(page);
    // JupyterLab restores the open project view.
    const reopened = page.getByRole('region', {
      name: `MLflow Project ${PROJECT_NAME}`
    });
    await expect
      .poll(async () => {
        const seen = await selectedExecution(reopened);
        return seen.state === 'stopped' && seen.output.includes('tree 1/5000');
      })
      .toBe(true);
  });

  test('an invalid value shows its message and disables Run', async ({
    page,
    tmpPath
  }) => {
    const view = await openProject(page, tmpPath);
    const run = view.getByRole('button', { name: 'Run', exact: true });
    await expect(run).toBeEnabled();
    await view.getByLabel('n_estimators', { exact: true }).fill('12x');
    await expect(view.getByRole('alert')).toHaveText(
      'n_estimators must be an integer, e.g. 100'
    );
    await expect(run).toBeDisabled();
    await view.getByLabel('n_estimators', { exact: true }).fill('12');
    await expect(run).toBeEnabled();

    // The text is one click away.
    await view.getByRole('button', { name: 'Edit as text' }).click();
    await expect(
      page.locator('.jp-FileEditor .cm-content').first()
    ).toContainText('california-housing-forest');
  });
});
