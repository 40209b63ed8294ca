/**
 * History-render benchmark (not a test): the first render of a
 * 1,000,000-point metric series in the run detail of the Trackside panel, in
 * a real JupyterLab with the embedded MLflow server, driven by Playwright in
 * Debian's chromium.
 *
 *   node bench/history_render.mjs      # writes the "History render" section
 *                                      # of bench/README.md
 *
 * The series is seeded once by bench/seed_history.py (MlflowClient.log_batch
 * straight into the SQLite store, cached in BENCH_SEED_DIR). Each repeat
 * opens JupyterLab in a fresh browser context and times, in the page, the
 * click on the run until the chart of `loss` shows its points (its summary
 * names the last step, its Plotly trace is drawn):
 *  - cold: the first chart of the page (Plotly and Arrow are loaded lazily,
 *    by the chart or by the panel's idle-time preload);
 *  - warm: after a small run's chart was opened (Plotly and Arrow loaded).
 * Bytes and times come from the page's Resource Timing. In the same run, the
 * same series is fetched from a page on MLflow's own origin with MLflow's
 * `/ajax-api/2.0/mlflow/metrics/get-history` (full, paged JSON; and in one
 * response) and `get-history-bulk-interval` (the sampled request MLflow's UI
 * makes for a chart).
 *
 * Environment: BENCH_SEED_DIR (/tmp/bench4-history-seed), BENCH_POINTS
 * (1000000), BENCH_PORT (8913; MLflow on port - 3000), BENCH_REPEAT (3),
 * BENCH_NO_WAIT (skip waiting for a load average <= 1.5).
 */
import { execFileSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import {
  here,
  load1,
  machine,
  median,
  openHealthyPanel,
  openLab,
  python,
  pythonVersion,
  withLab,
  writeSection
} from './lab.mjs';

const POINTS = Number(process.env.BENCH_POINTS ?? 1_000_000);
const PORT = Number(process.env.BENCH_PORT ?? 8913);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const SEED = process.env.BENCH_SEED_DIR ?? '/tmp/bench4-history-seed';
const EXPERIMENT = 'bench-history';
const RUN = 'history-1m';
const KEY = 'loss';
const PAGE = 25_000;

function seed() {
  if (fs.existsSync(path.join(SEED, 'mlflow.db'))) {
    return;
  }
  console.log(`Seeding ${POINTS} points into ${SEED} (one-time, minutes)…`);
  const partial = `${SEED}.partial`;
  fs.rmSync(partial, { recursive: true, force: true });
  execFileSync(
    python,
    [path.join(here, 'seed_history.py'), partial, String(POINTS), EXPERIMENT],
    { stdio: 'inherit' }
  );
  fs.renameSync(partial, SEED);
}

/**
 * In the page: click a run of the expanded experiment and time until the
 * chart of `key` shows its points through `lastStep`.
 */
async function timeOpen({ run, key, lastStep }) {
  const wait = condition => window.__benchWait(condition, 300_000);
  const panel = document.getElementById('jp-trackside-panel');
  const button = Array.from(panel.querySelectorAll('button')).find(
    b => b.textContent === run
  );
  const t0 = performance.now();
  button.click();
  let figure = null;
  const done = await wait(() => {
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
      summary.textContent.includes(`(step ${lastStep})`)
    );
  });
  const plot = figure.querySelector('.js-plotly-plot');
  const resources = performance
    .getEntriesByType('resource')
    // The lazy chunks may have been preloaded before the click.
    .filter(
      entry => entry.startTime >= t0 || /plotly|apache-arrow/.test(entry.name)
    )
    .map(entry => ({
      name: entry.name.split('/').pop().split('?')[0],
      url: entry.name,
      start: entry.startTime - t0,
      duration: entry.responseEnd - entry.startTime,
      transfer: entry.transferSize,
      decoded: entry.decodedBodySize
    }));
  return {
    time: done - t0,
    drawnPoints: plot.data.reduce((n, trace) => n + trace.y.length, 0),
    drawnMax: Math.max(...plot.data.flatMap(trace => Array.from(trace.y))),
    resources
  };
}

/**
 * A fresh browser context: JupyterLab, the panel, the experiment expanded.
 */
async function freshLab(browser, base) {
  const page = await openLab(browser, base, {
    init: () => performance.setResourceTimingBufferSize(10000)
  });
  const context = page.context();
  const panel = await openHealthyPanel(page);
  await panel.getByRole('button', { name: EXPERIMENT, exact: true }).click();
  await panel
    .getByRole('button', { name: RUN, exact: true })
    .waitFor({ timeout: 60_000 });
  return { context, page, panel };
}

/**
 * MLflow's own endpoints, fetched from a page on MLflow's origin.
 */
async function mlflowFetch(page, { runId, key, paged, bulk }) {
  return page.evaluate(
    async ({ runId, key, paged, bulk, size }) => {
      const start = performance.now();
      let bytes = 0;
      let count = 0;
      let max = -Infinity;
      let requests = 0;
      let token = '';
      do {
        const query = new URLSearchParams(
          bulk
            ? { run_ids: runId, metric_key: key, max_results: '320' }
            : { run_id: runId, metric_key: key }
        );
        if (paged) {
          query.set('max_results', String(size));
        }
        if (token) {
          query.set('page_token', token);
        }
        const endpoint = bulk ? 'get-history-bulk-interval' : 'get-history';
        const response = await fetch(
          `/ajax-api/2.0/mlflow/metrics/${endpoint}?${query}`
        );
        const text = await response.text();
        requests++;
        bytes += text.length;
        const data = JSON.parse(text);
        for (const metric of data.metrics ?? []) {
          count++;
          max = Math.max(max, Number(metric.value));
        }
        token = data.next_page_token ?? '';
      } while (token);
      return { time: performance.now() - start, bytes, count, max, requests };
    },
    { runId, key, paged, bulk, size: PAGE }
  );
}

async function main() {
  seed();
  const prepare = backend =>
    fs.copyFileSync(
      path.join(SEED, 'mlflow.db'),
      path.join(backend, 'mlflow.db')
    );
  await withLab(
    'history',
    { port: PORT, prepare },
    async ({ lab, browser, loadBefore }) => {
      const loads = [];
      const cold = [];
      const warm = [];
      let runId = null;
      for (let i = 0; i < REPEAT; i++) {
        for (const mode of ['cold', 'warm']) {
          const { context, page, panel } = await freshLab(browser, lab.base);
          if (mode === 'warm') {
            await panel
              .getByRole('button', { name: 'warmup', exact: true })
              .click();
            await panel
              .getByRole('figure', { name: `Chart of ${KEY}` })
              .locator('.js-plotly-plot .scatterlayer .trace')
              .first()
              .waitFor({ state: 'attached', timeout: 120_000 });
            await panel.getByRole('button', { name: '← Runs' }).click();
            await panel
              .getByRole('button', { name: RUN, exact: true })
              .waitFor();
          }
          loads.push(load1());
          const result = await page.evaluate(timeOpen, {
            run: RUN,
            key: KEY,
            lastStep: POINTS - 1
          });
          const history = result.resources.find(r =>
            r.url.includes('/trackside/api/metrics/history')
          );
          runId ??= new URL(history.url).searchParams.get('run_id');
          const lazy = result.resources.filter(r =>
            /plotly|apache-arrow/.test(r.name)
          );
          (mode === 'cold' ? cold : warm).push({ ...result, history, lazy });
          console.log(
            `${mode}: ${Math.round(result.time)} ms (history ${Math.round(history.duration)} ms, ${history.transfer} bytes; lazy ${lazy.map(r => `${r.name} ${Math.round(r.duration)} ms`).join(', ')})`
          );
          await context.close();
        }
      }

      // MLflow's own endpoints, from a page on MLflow's origin.
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${lab.mlflow}/health`);
      const paged = [];
      const whole = [];
      const bulk = [];
      for (let i = 0; i < REPEAT; i++) {
        paged.push(await mlflowFetch(page, { runId, key: KEY, paged: true }));
        whole.push(await mlflowFetch(page, { runId, key: KEY, paged: false }));
        bulk.push(await mlflowFetch(page, { runId, key: KEY, bulk: true }));
        console.log(
          `MLflow paged ${Math.round(paged[i].time)} ms, whole ${Math.round(whole[i].time)} ms, bulk ${Math.round(bulk[i].time)} ms`
        );
      }
      await context.close();

      const log = fs.readFileSync(lab.logPath, 'utf8');
      const storeFallbacks = (log.match(/from the store failed/g) ?? []).length;
      const pick = (list, f) => median(list.map(f));
      const figures = {
        machine: machine(browser),
        python: pythonVersion(),
        points: POINTS,
        repeat: REPEAT,
        storeFallbacks,
        loadBefore,
        loads,
        cold: cold.map(c => c.time),
        warm: warm.map(c => c.time),
        coldMedian: pick(cold, c => c.time),
        warmMedian: pick(warm, c => c.time),
        historyDuration: pick([...cold, ...warm], c => c.history.duration),
        historyTransfer: pick([...cold, ...warm], c => c.history.transfer),
        historyDecoded: pick([...cold, ...warm], c => c.history.decoded),
        historyPoints: new URL(cold[0].history.url).searchParams.get(
          'max_points'
        ),
        lazy: cold[0].lazy.map(r => ({
          name: r.name.replace(/\.[0-9a-f]{16,20}\.js$/, ''),
          decoded: r.decoded,
          start: pick(
            cold,
            c => c.lazy.find(l => l.name === r.name)?.start ?? 0
          ),
          duration: pick(
            cold,
            c => c.lazy.find(l => l.name === r.name)?.duration ?? 0
          )
        })),
        drawnPoints: cold[0].drawnPoints,
        drawnMax: cold[0].drawnMax,
        paged: {
          time: pick(paged, p => p.time),
          bytes: paged[0].bytes,
          count: paged[0].count,
          requests: paged[0].requests,
          max: paged[0].max
        },
        whole: {
          time: pick(whole, p => p.time),
          bytes: whole[0].bytes,
          count: whole[0].count
        },
        bulk: {
          time: pick(bulk, p => p.time),
          bytes: bulk[0].bytes,
          count: bulk[0].count,
          max: bulk[0].max
        }
      };
      console.log(JSON.stringify(figures, null, 2));
      writeReadme(figures);
    }
  );
}

function writeReadme(f) {
  const date = new Date().toISOString().slice(0, 10);
  const r = value => `${Math.round(value)} ms`;
  const s = value => `${(value / 1000).toFixed(1)} s`;
  const mb = value =>
    value >= 1e6
      ? `${(value / 1e6).toFixed(1)} MB`
      : `${Math.round(value / 1e3)} kB`;
  const n = value => value.toLocaleString('en');
  const loads = `${Math.min(...f.loads).toFixed(2)}–${Math.max(...f.loads).toFixed(2)}`;
  writeSection(
    'History render',
    `## History render

\`node bench/history_render.mjs\` (${date}; ${f.machine}; ${f.python}; JupyterLab with the embedded MLflow server on SQLite; one finished run with a ${n(f.points)}-point metric, seeded by \`bench/seed_history.py\`; medians of ${f.repeat}, each in a fresh browser context, timed in the page; load average ${f.loadBefore.toFixed(2)} before the run, ${loads} at the clicks).

| what | time | bytes | target |
|---|---|---|---|
| Trackside, cold: click on the run → chart of the ${n(f.points)}-point series drawn (first chart of the page; Plotly and Arrow loaded lazily, see below) | **${r(f.coldMedian)}** (${f.cold.map(Math.round).join(', ')}) | ${mb(f.historyTransfer)} Arrow (${n(Number(f.historyPoints))} points asked) + the lazy chunks | ≤ 1.5 s (${f.coldMedian <= 1500 ? 'met' : 'missed'}) |
| Trackside, warm: the same, Plotly and Arrow already loaded | **${r(f.warmMedian)}** (${f.warm.map(Math.round).join(', ')}) | ${mb(f.historyTransfer)} Arrow | ≤ 1.5 s (${f.warmMedian <= 1500 ? 'met' : 'missed'}) |
| of which: \`/trackside/api/metrics/history\` (the server reads the whole series — ${f.storeFallbacks ? `${f.storeFallbacks} times through MLflow's REST paging, the store read failed` : "straight from the embedded backend's SQLite store"} — and keeps first/last/min/max per bucket) | ${r(f.historyDuration)} | ${mb(f.historyDecoded)} | — |
${f.lazy.map(l => `| cold: the lazy chunk \`${l.name}\` (its fetch started ${l.start >= 0 ? `${r(l.start)} after the click` : `${r(-l.start)} before the click: preloaded by the panel`}) | ${r(l.duration)} | ${mb(l.decoded)} | — |`).join('\n')}
| MLflow \`ajax-api/…/metrics/get-history\`, the full series, paged (${f.paged.requests} × ${n(PAGE)}), fetched and parsed from a page on MLflow's origin | ${s(f.paged.time)} | ${mb(f.paged.bytes)} JSON (${n(f.paged.count)} points) | — |
| the same in one response (no \`max_results\`) | ${s(f.whole.time)} | ${mb(f.whole.bytes)} JSON | — |
| MLflow's UI chart request: \`get-history-bulk-interval\`, 320 points sampled by step | ${r(f.bulk.time)} | ${mb(f.bulk.bytes)} JSON (${n(f.bulk.count)} points) | — |

Of a first render, ${r(f.historyDuration)} (median of all clicks) are the history request (reading
${n(f.points)} points on the server, keeping ${n(Number(f.historyPoints))}, ${mb(f.historyTransfer)} on the
wire); the rest is the Arrow decode and Plotly's draw. MLflow's own \`get-history\` for the same
series is ${mb(f.paged.bytes)} of JSON and takes ${s(f.paged.time)} (paged) to fetch and parse.

Spikes (+2 every 100,000 steps): the maximum drawn by Trackside's chart is ${f.drawnMax.toFixed(4)} (the series' maximum: ${f.paged.max.toFixed(4)}; ${n(f.drawnPoints)} points drawn);
the 320 points MLflow's UI loads have a maximum of ${f.bulk.max.toFixed(4)}.
`
  );
}

main().catch(reason => {
  console.error(reason);
  process.exit(1);
});
