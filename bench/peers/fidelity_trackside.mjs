/**
 * Fidelity, Trackside's side (not a test): what the Trackside panel's chart
 * of a long metric draws at its default view, read from the real chart in a
 * real JupyterLab (Debian chromium, Playwright), the same way
 * bench/history_render.mjs reads its "Spikes" figure: the panel asks the
 * server's Arrow history (min/max buckets), the chart decimates it for its
 * width (src/charts/decimate.ts) and Plotly draws it; we take every trace's
 * drawn y values from the plot.
 *
 *   node bench/peers/fidelity_trackside.mjs <mlflow.db> <experiment> <run> <key> <last step> <out.json>
 *
 * <mlflow.db> (an MLflow SQLite store holding the run) is copied into the
 * backend folder of the embedded MLflow server of a fresh JupyterLab.
 * Environment: FIDELITY_PORT (8961; MLflow on port - 3000).
 * Called by bench/peers/fidelity.py; runs on its own too.
 */
import fs from 'fs';
import path from 'path';
import { openHealthyPanel, openLab, openRun, withLab } from '../lab.mjs';

const PORT = Number(process.env.FIDELITY_PORT ?? 8961);

/**
 * In the page: wait until the chart of `key` names `lastStep` in its
 * summary, then return what Plotly draws.
 */
async function drawnChart({ key, lastStep }) {
  const panel = document.getElementById('jp-trackside-panel');
  let figure = null;
  await window.__benchWait(() => {
    figure = panel.querySelector(
      `[role="figure"][aria-label="Chart of ${key}"]`
    );
    const plot = figure?.querySelector('.js-plotly-plot');
    const summary = figure
      ? document.getElementById(figure.getAttribute('aria-describedby'))
      : null;
    return (
      !!plot?.querySelector('.scatterlayer .trace') &&
      plot.data?.some(trace => trace.y?.length > 0) &&
      !!summary?.textContent.includes(`(step ${lastStep})`)
    );
  }, 600_000);
  const plot = figure.querySelector('.js-plotly-plot');
  return {
    width: plot._fullLayout?.width ?? null,
    plotWidth: plot._fullLayout?._size?.w ?? null,
    summary: document.getElementById(figure.getAttribute('aria-describedby'))
      .textContent,
    traces: plot.data.map(trace => ({
      name: trace.name ?? null,
      mode: trace.mode ?? null,
      fill: trace.fill ?? null,
      visible: trace.visible ?? true,
      x: Array.from(trace.x ?? [], v => (v === null ? null : Number(v))),
      y: Array.from(trace.y ?? [], v => (v === null ? null : Number(v)))
    }))
  };
}

async function main() {
  const [db, experiment, run, key, lastStep, out] = process.argv.slice(2);
  if (!out) {
    throw new Error(
      'usage: fidelity_trackside.mjs <mlflow.db> <experiment> <run> <key> <last step> <out.json>'
    );
  }
  process.env.BENCH_NO_WAIT ??= '1'; // a count, not a timing: no quiet machine needed
  const prepare = backend =>
    fs.copyFileSync(path.resolve(db), path.join(backend, 'mlflow.db'));
  const result = await withLab(
    'fidelity',
    { port: PORT, prepare },
    async ({ lab, browser }) => {
      const page = await openLab(browser, lab.base);
      const panel = await openHealthyPanel(page);
      await openRun(panel, experiment, run);
      const drawn = await page.evaluate(drawnChart, {
        key,
        lastStep: Number(lastStep)
      });
      const chromium = browser.version();
      await page.context().close();
      return { ...drawn, chromium };
    }
  );
  fs.writeFileSync(out, JSON.stringify(result));
  console.log(
    `chart of ${key}: ${result.traces.length} traces, ${result.traces.reduce((n, t) => n + t.y.length, 0)} y values, plot ${result.plotWidth} px wide`
  );
}

main().catch(reason => {
  console.error(reason);
  process.exit(1);
});
