/**
 * A run logged from outside JupyterLab's kernels (a script in a terminal, a
 * project started by `mlflow run`) has no live comm stream: it shows up in
 * the runs list while it runs, and its chart in the run detail follows it
 * with incremental history reads until it ends.
 *
 * Once the backend is healthy, the panel's own refresh is set to two
 * minutes (Galata keeps settings in memory), so that only the new-run probe
 * can bring the run into the list within the test's wait.
 */
import { expect, test } from '@jupyterlab/galata';
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  embeddedLogin,
  openHealthyPanel,
  pointCount,
  python,
  runPython
} from './helpers';

const EXPERIMENT = 'external-experiment';
const RUN_NAME = 'outside-run';
const STEPS = 40;

const CREATE_EXPERIMENT = `
import mlflow, sys
mlflow.set_tracking_uri(sys.argv[1])
mlflow.set_experiment(sys.argv[2])
`;

// Logs step 0, waits until the test has the run's chart on screen (the flag
// file), then logs the other steps every 0.25 s.
const LOG_SLOWLY = `
import math, mlflow, os, sys, time
uri, experiment, name, flag, steps = sys.argv[1:6]
mlflow.set_tracking_uri(uri)
mlflow.set_experiment(experiment)
with mlflow.start_run(run_name=name):
    mlflow.log_metric("loss", 2.0, step=0)
    deadline = time.time() + 120
    while not os.path.exists(flag) and time.time() < deadline:
        time.sleep(0.05)
    for step in range(1, int(steps)):
        time.sleep(0.25)
        mlflow.log_metric("loss", 2.0 * math.exp(-step / 12), step=step)
`;

// Galata's user mock routes /.*\/api\/me.*/, which also catches
// /trackside/api/metrics/history.
test.use({ mockUser: false });

test.describe('A run logged outside the kernels', () => {
  let child: ChildProcess | null = null;
  let flagDir = '';

  test.afterEach(() => {
    if (child && child.exitCode === null) {
      child.kill();
    }
    child = null;
    if (flagDir) {
      fs.rmSync(flagDir, { recursive: true, force: true });
    }
  });

  test('appears while it runs and its chart follows it', async ({ page }) => {
    page.on('console', message => {
      if (message.type() === 'error' || message.type() === 'warning') {
        console.log(`[browser ${message.type()}] ${message.text()}`);
      }
    });
    await page.setViewportSize({ width: 1280, height: 900 });
    const { panel, trackingUri } = await openHealthyPanel(page);
    await page.evaluate(async () => {
      const settings = await window.galata.getPlugin(
        '@jupyterlab/apputils-extension:settings'
      );
      await settings?.set('jupyterlab-trackside:panel', 'refreshInterval', 120);
    });
    runPython(CREATE_EXPERIMENT, [trackingUri, EXPERIMENT]);
    await page.evaluate(async () => {
      await window.jupyterapp.commands.execute('trackside:refresh');
    });
    const experiment = panel.getByRole('button', {
      name: EXPERIMENT,
      exact: true
    });
    await expect(experiment).toBeVisible();
    await experiment.click();

    // The script, as its own process: nothing of it goes through a kernel.
    flagDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trackside-external-'));
    const flag = path.join(flagDir, 'go');
    let output = '';
    const proc = spawn(
      python,
      ['-c', LOG_SLOWLY, trackingUri, EXPERIMENT, RUN_NAME, flag, `${STEPS}`],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ...embeddedLogin() }
      }
    );
    child = proc;
    proc.stdout?.on('data', chunk => (output += String(chunk)));
    proc.stderr?.on('data', chunk => (output += String(chunk)));
    const exited = new Promise<number | null>(resolve =>
      proc.on('exit', code => resolve(code))
    );

    // The new run shows without the panel's (two minute) refresh.
    const runButton = panel.getByRole('button', {
      name: RUN_NAME,
      exact: true
    });
    await expect(runButton).toBeVisible({ timeout: 20_000 });
    await runButton.click();
    const detail = panel.locator('.jp-Trackside-Detail');
    await expect(detail.locator('.jp-Trackside-RunStatus')).toHaveText(
      'Running'
    );
    const chart = panel.getByRole('figure', { name: 'Chart of loss' });
    await chart.scrollIntoViewIfNeeded();
    await expect
      .poll(() => pointCount(chart), { timeout: 30_000 })
      .toBeGreaterThan(0);

    // Go: while the script logs, the drawn points grow.
    fs.writeFileSync(flag, '');
    const started = Date.now();
    let done = false;
    void exited.then(() => (done = true));
    const seen: number[] = [];
    while (!done) {
      const count = await pointCount(chart);
      if (!done && count !== seen[seen.length - 1]) {
        seen.push(count);
      }
      await page.waitForTimeout(100);
    }
    expect(await exited, output).toBe(0);
    const seconds = (Date.now() - started) / 1000;
    const growing = seen.filter((count, i) => i === 0 || count > seen[i - 1]);
    expect(growing, `counts seen while running: ${seen}`).toEqual(seen);
    // Followed about once a second (plus the reads' own time on a busy
    // machine): a move every 3 s at least, where the 5 s refresh of a
    // streamed run gives one every 6 s or so. 10 s of logging when idle.
    console.log(`Counts seen in the ${seconds} s the script ran: ${seen}`);
    const moves = seen.length - 1;
    expect(moves, `counts seen: ${seen}`).toBeGreaterThanOrEqual(2);
    expect(moves, `counts seen: ${seen}`).toBeGreaterThanOrEqual(
      Math.floor(seconds / 3)
    );

    // The end: finished, every point drawn.
    await expect(detail.locator('.jp-Trackside-RunStatus')).toHaveText(
      'Finished',
      { timeout: 30_000 }
    );
    await expect.poll(() => pointCount(chart)).toBe(STEPS);
  });
});
