/**
 * Trackside in Notebook 7: a notebook opened from Notebook's file browser
 * has the Trackside toolbar items, its right sidebar has the Trackside
 * panel, and a tracked cell's metric chart grows there while the cell runs.
 *
 * Galata's fixtures drive JupyterLab only, so this is a plain Playwright test
 * with a Notebook 7 server of its own (free ports, an empty root folder, its
 * own embedded MLflow backend), started before the test and stopped after it.
 */
import { expect, Page, test } from '@playwright/test';
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { python, trackNotebook } from './helpers';

const NOTEBOOK = 'live.ipynb';
const EXPERIMENT = 'notebook7-live';
const RUN = 'notebook7-run';
/**
 * The cell logs until the test creates this file in the server's root (the
 * kernel's working folder), so it cannot end before its chart is watched.
 */
const GATE = 'release-the-cell';

/**
 * The tracked cell: one `loss` point every 0.2 s until the gate file
 * appears (ten minutes at most), then the number of points it logged.
 */
const CELL = [
  'import os, time',
  'import mlflow',
  `mlflow.set_experiment(${JSON.stringify(EXPERIMENT)})`,
  `with mlflow.start_run(run_name=${JSON.stringify(RUN)}):`,
  '    step = 0',
  `    while not os.path.exists(${JSON.stringify(GATE)}) and step < 3000:`,
  "        mlflow.log_metric('loss', 1 / (step + 1), step=step)",
  '        step += 1',
  '        time.sleep(0.2)',
  "print(f'logged {step} points')"
].join('\n');

/**
 * A TCP port nothing listens on right now.
 */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A Notebook 7 server with Trackside, its root folder and its output.
 */
interface INotebookServer {
  url: string;
  root: string;
  process: ChildProcess;
  log: string[];
}

async function startNotebookServer(): Promise<INotebookServer> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'trackside-notebook7-'));
  const port = await freePort();
  const backendPort = await freePort();
  const log: string[] = [];
  const server = spawn(
    python,
    [
      '-m',
      'notebook',
      '--no-browser',
      `--port=${port}`,
      '--ServerApp.port_retries=0',
      '--ServerApp.allow_root=True',
      '--IdentityProvider.token=',
      '--ServerApp.password=',
      `--ServerApp.root_dir=${root}`,
      // window.jupyterapp, to read the cell's state as the Galata tests do.
      '--JupyterNotebookApp.expose_app_in_browser=True',
      `--Trackside.port=${backendPort}`,
      '--Trackside.adopt_existing=False'
    ],
    { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'] }
  );
  for (const stream of [server.stdout!, server.stderr!]) {
    stream.setEncoding('utf-8');
    stream.on('data', (chunk: string) => log.push(chunk));
  }
  const url = `http://127.0.0.1:${port}`;
  await expect
    .poll(
      async () => {
        if (server.exitCode !== null) {
          throw new Error(`Notebook 7 exited:\n${log.join('')}`);
        }
        const status = await fetch(`${url}/trackside/api/status`)
          .then(response => (response.ok ? response.json() : null))
          .catch(() => null);
        return status?.healthy === true;
      },
      { timeout: 180_000, intervals: [500] }
    )
    .toBe(true);
  return { url, root, process: server, log };
}

/**
 * Stop the server (Trackside stops its embedded backend with it), then
 * whatever of its process group is left, and remove its root folder.
 */
async function stopNotebookServer(server: INotebookServer): Promise<void> {
  const pid = server.process.pid!;
  if (server.process.exitCode === null) {
    const exited = new Promise(resolve => server.process.once('exit', resolve));
    server.process.kill('SIGTERM');
    await Promise.race([
      exited,
      new Promise(resolve => setTimeout(resolve, 20_000))
    ]);
  }
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // The whole group has exited.
  }
  fs.rmSync(server.root, { recursive: true, force: true });
}

/**
 * Write a one-cell notebook into the server's root.
 */
function writeNotebook(root: string): void {
  const notebook = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: {
        name: 'python3',
        display_name: 'Python 3 (ipykernel)',
        language: 'python'
      }
    },
    cells: [
      {
        cell_type: 'code',
        id: 'tracked-cell',
        metadata: {},
        execution_count: null,
        outputs: [],
        source: CELL
      }
    ]
  };
  fs.writeFileSync(path.join(root, NOTEBOOK), JSON.stringify(notebook));
}

/**
 * Whether the notebook's first cell is running (its prompt shows `[*]`).
 */
async function cellRunning(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const panel = window.jupyterapp.shell.currentWidget as unknown as {
      content?: { widgets: ReadonlyArray<{ promptNode: HTMLElement | null }> };
    };
    const prompt = panel?.content?.widgets[0]?.promptNode;
    return (prompt?.textContent ?? '').includes('[*]');
  });
}

let server: INotebookServer;

test.beforeAll(async () => {
  test.setTimeout(240_000);
  server = await startNotebookServer();
});

test.afterAll(async () => {
  if (server) {
    await stopNotebookServer(server);
  }
});

test.describe('Notebook 7', () => {
  test('a tracked cell streams a metric and its chart grows in the right sidebar', async ({
    page
  }, testInfo) => {
    testInfo.setTimeout(300_000);
    await page.setViewportSize({ width: 1440, height: 900 });
    writeNotebook(server.root);

    // Notebook's file browser opens the notebook in a tab of its own.
    await page.goto(`${server.url}/tree`);
    const item = page.locator('.jp-DirListing-item', { hasText: NOTEBOOK });
    await expect(item).toBeVisible({ timeout: 60_000 });
    const [notebook] = await Promise.all([
      page.context().waitForEvent('page'),
      item.dblclick()
    ]);
    await notebook.waitForURL(`**/notebooks/${NOTEBOOK}`);
    await expect(notebook.locator('.jp-Notebook .jp-Cell')).toHaveCount(1, {
      timeout: 60_000
    });
    await expect
      .poll(
        () =>
          notebook.evaluate(() => {
            const widget = window.jupyterapp.shell.currentWidget as unknown as {
              sessionContext?: { session: { kernel: unknown } | null };
            };
            return widget?.sessionContext?.session?.kernel != null;
          }),
        { timeout: 60_000 }
      )
      .toBe(true);

    // The toolbar items: "Track" turns tracking on (it loads Trackside in
    // the kernel); the panel button is there too.
    await trackNotebook(notebook);
    await expect(
      notebook.getByRole('button', { name: 'Open Trackside Panel' })
    ).toBeVisible();

    // The panel from the right sidebar menu.
    await notebook.getByRole('menuitem', { name: 'View' }).click();
    await notebook
      .locator('.lm-Menu-item', { hasText: 'Right Sidebar' })
      .hover();
    await notebook
      .locator('.lm-Menu-item', { hasText: 'Show Trackside' })
      .click();
    const panel = notebook.getByRole('region', { name: 'Trackside' });
    await expect(panel).toBeVisible();
    await expect(panel.locator('.jp-Trackside-StatusHealth')).toHaveText(
      'healthy',
      { timeout: 120_000 }
    );

    await notebook.locator('.jp-Cell .jp-InputArea-editor').first().click();
    await notebook.keyboard.press('Shift+Enter');
    await expect.poll(() => cellRunning(notebook)).toBe(true);

    const experiment = panel.getByRole('button', {
      name: EXPERIMENT,
      exact: true
    });
    await expect(experiment).toBeVisible({ timeout: 60_000 });
    await experiment.click();
    const run = panel.getByRole('button', { name: RUN, exact: true });
    await expect(run).toBeVisible({ timeout: 60_000 });
    await run.click();
    const chart = panel.getByRole('figure', { name: 'Chart of loss' });
    await panel
      .locator('.jp-Trackside-ChartHost')
      .first()
      .scrollIntoViewIfNeeded();
    await expect(chart).toBeVisible({ timeout: 60_000 });
    await expect(
      chart.locator('.js-plotly-plot .scatterlayer .trace').first()
    ).toBeAttached({ timeout: 60_000 });

    // The chart's last step moves on, three times, while the cell runs.
    const lastStep = async (): Promise<number> => {
      const text =
        (await chart.locator('.jp-Trackside-ChartSummary').textContent()) ?? '';
      const match = /\(step (\d+)\)$/.exec(text);
      return match ? Number(match[1]) : -1;
    };
    const seen: number[] = [];
    await expect
      .poll(
        async () => {
          const step = await lastStep();
          if (step >= 0 && step !== seen[seen.length - 1]) {
            seen.push(step);
          }
          return seen.length;
        },
        { timeout: 120_000, intervals: [250] }
      )
      .toBeGreaterThanOrEqual(4);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(await cellRunning(notebook)).toBe(true);

    // Released, the cell ends and the chart shows its last point.
    fs.writeFileSync(path.join(server.root, GATE), '');
    await expect
      .poll(() => cellRunning(notebook), { timeout: 60_000 })
      .toBe(false);
    const output = notebook.locator('.jp-OutputArea-output', {
      hasText: /logged \d+ points/
    });
    await expect(output).toBeVisible();
    const logged = Number(
      /logged (\d+) points/.exec(await output.innerText())![1]
    );
    await expect.poll(lastStep, { timeout: 60_000 }).toBe(logged - 1);
  });
});
