/**
 * Shared steps of the Galata tests.
 */
import { expect, IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { Locator, Page } from '@playwright/test';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/**
 * The project's Python, with mlflow installed.
 */
export const python =
  process.env.TRACKSIDE_PYTHON ??
  path.resolve(__dirname, '..', '..', '.venv', 'bin', 'python');

/**
 * Open the Trackside panel, wait until the embedded MLflow server is healthy
 * (it starts in the background) and return the panel and the tracking URI.
 */
export async function openHealthyPanel(
  page: Page
): Promise<{ panel: Locator; trackingUri: string }> {
  await page.evaluate(async () => {
    await window.jupyterapp.commands.execute('trackside:open-panel');
  });
  const panel = page.getByRole('region', { name: 'Trackside' });
  await expect(panel).toBeVisible();
  await expect(panel.locator('.jp-Trackside-StatusHealth')).toHaveText(
    'healthy',
    { timeout: 120_000 }
  );
  const response = await page.request.get('/trackside/api/status');
  expect(response.ok()).toBe(true);
  const status = await response.json();
  return { panel, trackingUri: status.tracking_uri };
}

/**
 * The embedded MLflow server's login, as MLflow's client reads it from the
 * environment ({} when no embedded server runs). Its Jupyter server made it at
 * random (trackside/server/embedded_auth.py); like a second Jupyter server on
 * the same folder, read it from the state folder of Galata's root.
 */
export function embeddedLogin(): Record<string, string> {
  const root =
    process.env.TRACKSIDE_UI_ROOT ??
    path.resolve(
      __dirname,
      '..',
      '.jupyter-root',
      process.env.TRACKSIDE_UI_PORT ?? '8888'
    );
  const state = path.join(root, '.trackside');
  try {
    const { uri } = JSON.parse(
      fs.readFileSync(path.join(state, 'backend.json'), 'utf8')
    );
    const port = new URL(uri).port;
    const file = path.join(state, 'mlflow-auth', port, 'credentials.json');
    const { username, password } = JSON.parse(fs.readFileSync(file, 'utf8'));
    return {
      MLFLOW_TRACKING_USERNAME: username,
      MLFLOW_TRACKING_PASSWORD: password
    };
  } catch {
    return {};
  }
}

/**
 * Headers for a request straight to the embedded MLflow server.
 */
export function embeddedLoginHeaders(): Record<string, string> {
  const login = embeddedLogin();
  if (!login.MLFLOW_TRACKING_USERNAME) {
    return {};
  }
  const pair = `${login.MLFLOW_TRACKING_USERNAME}:${login.MLFLOW_TRACKING_PASSWORD}`;
  return { Authorization: `Basic ${Buffer.from(pair).toString('base64')}` };
}

/**
 * Run a Python snippet the way a user's own script in a JupyterLab terminal
 * would (`sys.argv[1:]` are the arguments, the embedded server's login in the
 * environment), failing the test if it fails.
 */
export function runPython(code: string, args: string[]): void {
  execFileSync(python, ['-c', code, ...args], {
    stdio: 'inherit',
    timeout: 120_000,
    env: { ...process.env, ...embeddedLogin() }
  });
}

/**
 * The id of the current notebook's kernel ('' when there is none).
 */
export async function currentKernelId(page: Page): Promise<string> {
  return page.evaluate(() => {
    const widget = window.jupyterapp.shell.currentWidget as unknown as {
      sessionContext?: { session: { kernel: { id: string } | null } | null };
    };
    return widget.sessionContext?.session?.kernel?.id ?? '';
  });
}

/**
 * The status of the current notebook's kernel ('' when there is none).
 */
export async function currentKernelStatus(page: Page): Promise<string> {
  return page.evaluate(() => {
    const widget = window.jupyterapp.shell.currentWidget as unknown as {
      sessionContext?: {
        session: { kernel: { status: string } | null } | null;
      };
    };
    return widget.sessionContext?.session?.kernel?.status ?? '';
  });
}

/**
 * Restart the current notebook's kernel as JupyterLab's restart button does
 * (after its confirmation), through the page's own kernel connection.
 *
 * Specs that call it set `test.use({ kernels: null })`: Galata's mock of the
 * kernels API answers the restart with 201, which JupyterLab rejects. (A
 * restart through the REST API, by another client, left the page's kernel
 * connection without any reply for over a minute in some CI runs, which
 * fails any test whatever Trackside does.)
 */
export async function restartKernel(page: Page): Promise<void> {
  expect(await currentKernelId(page)).not.toBe('');
  await page.evaluate(async () => {
    const widget = window.jupyterapp.shell.currentWidget as unknown as {
      sessionContext: { restartKernel(): Promise<void> };
    };
    await widget.sessionContext.restartKernel();
  });
}

/**
 * Ask the current notebook's kernel whether Trackside's extension is loaded
 * in it: 'True', 'False', or why it could not be asked.
 */
export async function tracksideLoaded(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const widget = window.jupyterapp.shell.currentWidget as unknown as {
      sessionContext: { session: { kernel: any } | null };
    };
    const kernel = widget.sessionContext.session?.kernel;
    if (!kernel || kernel.status !== 'idle') {
      return `kernel not ready: ${kernel?.status}`;
    }
    let text = '';
    const future = kernel.requestExecute({
      code: "print('trackside' in get_ipython().extension_manager.loaded)",
      store_history: false
    });
    future.onIOPub = (msg: any) => {
      if (msg.header.msg_type === 'stream') {
        text += msg.content.text;
      }
    };
    await future.done;
    return text.trim();
  });
}

/**
 * Turn tracking on for the current notebook with its toolbar toggle.
 */
export async function trackNotebook(page: Page): Promise<void> {
  const track = page.getByRole('button', { name: 'Track', exact: true });
  await expect(track).toHaveAttribute('aria-pressed', 'false');
  await track.click();
  await expect(track).toHaveAttribute('aria-pressed', 'true');
}

/**
 * Start running a notebook cell without waiting for it to finish.
 *
 * The cell is made the only active one through the notebook widget, not by a
 * click: Galata's `selectCells` clicks the cell's corner and silently does
 * nothing when the cell is not found, and `notebook:run-cell` then runs
 * whichever cell was active (in the sync-backlog test, the first cell again,
 * whose MLflow calls wait minutes on a closed server).
 */
export async function startCell(
  page: IJupyterLabPageFixture,
  index: number
): Promise<void> {
  const ran = await page.evaluate(index => {
    const panel = window.jupyterapp.shell.currentWidget as unknown as {
      content: {
        activeCellIndex: number;
        activeCell: unknown;
        widgets: readonly unknown[];
        deselectAll(): void;
      };
    };
    const notebook = panel.content;
    notebook.activeCellIndex = index;
    notebook.deselectAll();
    if (notebook.activeCell !== notebook.widgets[index]) {
      return false;
    }
    void window.jupyterapp.commands.execute('notebook:run-cell');
    return true;
  }, index);
  expect(ran, `cell ${index} could not be made active`).toBe(true);
}

/**
 * Set a code cell's source through the notebook model (typing it into the
 * editor would auto-indent multi-line blocks). Adds cells as needed.
 */
export async function setCellSource(
  page: IJupyterLabPageFixture,
  index: number,
  source: string
): Promise<void> {
  while ((await page.notebook.getCellCount()) <= index) {
    await page.notebook.addCell('code', '');
  }
  await page.evaluate(
    ({ index, source }) => {
      const panel = window.jupyterapp.shell.currentWidget as unknown as {
        content: {
          model: {
            cells: { get(i: number): { sharedModel: any } };
          };
        };
      };
      panel.content.model.cells.get(index).sharedModel.setSource(source);
    },
    { index, source }
  );
}

/**
 * With TRACKSIDE_DOC_SHOTS set (`scripts/dev screenshot`), save the page as
 * `docs/images/<name>.png` for the README: a 1440×900 page, the left
 * sidebar closed, the Trackside panel `panelWidth` pixels wide.
 */
export async function docShot(
  page: IJupyterLabPageFixture,
  name: string,
  panelWidth = 420
): Promise<void> {
  if (!process.env.TRACKSIDE_DOC_SHOTS) {
    return;
  }
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.sidebar.close('left');
  await page.sidebar.setWidth(panelWidth, 'right');
  // Let the charts follow the new width.
  await page.waitForTimeout(500);
  await page.screenshot({
    path: path.resolve(__dirname, '..', '..', 'docs', 'images', `${name}.png`)
  });
}

/**
 * Whether the current notebook's cell at `index` is still running (its
 * prompt shows `[*]`).
 */
export async function cellRunning(
  page: IJupyterLabPageFixture,
  index: number
): Promise<boolean> {
  return page.evaluate(index => {
    const panel = window.jupyterapp.shell.currentWidget as unknown as {
      content: { widgets: ReadonlyArray<{ promptNode: HTMLElement | null }> };
    };
    const prompt = panel.content.widgets[index]?.promptNode;
    return (prompt?.textContent ?? '').includes('[*]');
  }, index);
}

/**
 * The points drawn by the chart's run trace.
 */
export async function pointCount(chart: Locator): Promise<number> {
  return chart.evaluate(node => {
    const plot = node.querySelector('.js-plotly-plot') as unknown as {
      data?: Array<{ y: ArrayLike<number> }>;
    } | null;
    const data = plot?.data ?? [];
    return data.length > 0 ? data[data.length - 1].y.length : 0;
  });
}

/**
 * Reload the page and wait until JupyterLab has started again. Galata's own
 * reload waits for a Launcher tab that a restored workspace does not have.
 */
export async function reloadLab(page: Page): Promise<void> {
  await Promise.all([
    page.waitForEvent('load'),
    page.evaluate(() => window.location.reload())
  ]);
  await page.waitForFunction(() => typeof window.jupyterapp === 'object');
  await page.evaluate(() => window.jupyterapp.started);
  await page.waitForSelector('#jupyterlab-splash', { state: 'detached' });
}
