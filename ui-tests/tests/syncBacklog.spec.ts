/**
 * The sync backlog in the panel: a notebook's kernel logs while its MLflow
 * server cannot be reached (an HTTP forwarder in front of the embedded server,
 * closed), the panel says how many points wait in the journal; once the
 * forwarder listens again the journal drains and the line goes away.
 */
import { expect, test } from '@jupyterlab/galata';
import * as http from 'http';
import * as net from 'net';
import { openHealthyPanel, setCellSource, startCell } from './helpers';

const POINTS = 3000;

/**
 * An HTTP forwarder to `target` that can stop listening (connections
 * refused, open ones cut) and listen again on the same port: the MLflow
 * server going away and coming back, as the kernel sees it. Requests keep
 * the target's Host header (MLflow refuses other hosts).
 */
class Forwarder {
  constructor(private readonly target: URL) {}

  get url(): string {
    return `http://127.0.0.1:${this._port}`;
  }

  async open(): Promise<void> {
    const server = http.createServer((request, response) => {
      const upstream = http.request(
        {
          hostname: this.target.hostname,
          port: this.target.port,
          method: request.method,
          path: request.url,
          headers: { ...request.headers, host: this.target.host }
        },
        answer => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        }
      );
      upstream.on('error', () => response.destroy());
      request.pipe(upstream);
    });
    server.on('connection', socket => {
      this._sockets.add(socket);
      socket.on('close', () => this._sockets.delete(socket));
    });
    await new Promise<void>(resolve =>
      server.listen(this._port, '127.0.0.1', resolve)
    );
    this._server = server;
    this._port = (server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this._server;
    this._server = null;
    for (const socket of this._sockets) {
      socket.destroy();
    }
    this._sockets.clear();
    await new Promise<void>(resolve =>
      server ? server.close(() => resolve()) : resolve()
    );
  }

  private _port = 0;
  private _server: http.Server | null = null;
  private _sockets = new Set<net.Socket>();
}

// A fresh kernel of the notebook's own.
test.use({ kernels: null });

test('the points a kernel could not send wait in the panel, then drain', async ({
  page
}) => {
  const { panel, trackingUri } = await openHealthyPanel(page);
  const forwarder = new Forwarder(new URL(trackingUri));
  await forwarder.open();
  try {
    await page.notebook.createNew('sync-backlog.ipynb');
    const experiment = `sync-backlog-${Date.now().toString(36)}`;
    // The journal's sender talks to MLflow through the forwarder.
    await setCellSource(
      page,
      0,
      [
        'import mlflow',
        `mlflow.set_tracking_uri(${JSON.stringify(forwarder.url)})`,
        '%load_ext trackside',
        `mlflow.set_experiment(${JSON.stringify(experiment)})`,
        "active = mlflow.start_run(run_name='offline')",
        "print('started', active.info.run_id)"
      ].join('\n')
    );
    await startCell(page, 0);
    await expect(page.getByText(/^started [0-9a-f]{32}/)).toBeVisible({
      timeout: 120_000
    });

    const backlog = panel.locator('.jp-Trackside-SyncBacklog');
    await expect(backlog).toHaveAttribute('role', 'status');
    await expect(backlog).toHaveAttribute('aria-live', 'polite');
    await expect(backlog).toBeEmpty();

    // The server goes away; the cell logs anyway (the journal keeps it).
    await forwarder.close();
    await setCellSource(
      page,
      1,
      [
        `for step in range(${POINTS}):`,
        "    mlflow.log_metric('loss', 1 / (step + 1), step=step)",
        "print('logged', step + 1, 'points')"
      ].join('\n')
    );
    await startCell(page, 1);
    // The output also holds the sender's one warning: not anchored.
    await expect(page.getByText(`logged ${POINTS} points`)).toBeVisible({
      timeout: 120_000
    });

    const kernel = backlog.locator('.jp-Trackside-SyncKernel');
    await expect(kernel).toHaveCount(1, { timeout: 60_000 });
    await expect(kernel.locator('.jp-Trackside-SyncName')).toHaveText(
      'sync-backlog.ipynb'
    );
    await expect(kernel.locator('.jp-Trackside-SyncSummary')).toHaveText(
      /^[\d,]+ points? waiting to sync · [\d,]+ sent$/
    );
    const waiting = Number(
      (
        /^([\d,]+)/.exec(
          (await kernel.locator('.jp-Trackside-SyncSummary').textContent()) ??
            ''
        )?.[1] ?? '0'
      ).replace(/,/g, '')
    );
    expect(waiting).toBeGreaterThan(0);
    expect(waiting).toBeLessThanOrEqual(POINTS);
    const bar = kernel.getByRole('progressbar', {
      name: 'Sync progress of sync-backlog.ipynb'
    });
    await expect(bar).toBeVisible();

    // The server comes back: the journal drains and the line goes away.
    await forwarder.open();
    await expect(kernel).toHaveCount(0, { timeout: 120_000 });
    await expect(backlog).toBeEmpty();
    await expect(backlog).toBeHidden();

    // Every point reached MLflow.
    await setCellSource(
      page,
      2,
      [
        'client = mlflow.MlflowClient()',
        "points = client.get_metric_history(active.info.run_id, 'loss')",
        "print('in mlflow', len(points))"
      ].join('\n')
    );
    await startCell(page, 2);
    await expect(page.getByText(`in mlflow ${POINTS}`)).toBeVisible({
      timeout: 60_000
    });
  } finally {
    await forwarder.close();
  }
});
