/**
 * Runs-table benchmark (not a test): 10,000 runs in a real JupyterLab with
 * Trackside and its embedded MLflow server, driven by Playwright in Debian's
 * chromium.
 *
 *   node bench/runs_table.mjs            # writes the "Runs table" section
 *                                        # of bench/README.md
 *
 * Measures, in the page (performance.now()):
 *  - table ready: click on the experiment -> first rows of the table shown;
 *    and all 10,000 runs loaded (paged, the table usable meanwhile);
 *  - filter applied: Enter in the search box -> the filtered rows shown;
 *  - scrolling the 10,000-row table: frame times and rows in the DOM;
 * each against the raw REST time of the same `runs/search` queries through
 * the same gateway, measured in the same run.
 *
 * Environment: BENCH_SEED_DIR (cached seeded store, default
 * /tmp/trackside-bench-seed), BENCH_RUNS (10000), BENCH_PORT (8899),
 * BENCH_REPEAT (5), BENCH_PROFILE (print a CPU profile of the scroll),
 * BENCH_NO_WAIT (skip waiting for a load average <= 1.5).
 */
import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import {
  here,
  median,
  openHealthyPanel,
  openLab,
  python,
  quantile,
  withLab,
  writeSection
} from './lab.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 10_000);
const PORT = Number(process.env.BENCH_PORT ?? 8899);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 5);
const SEED = process.env.BENCH_SEED_DIR ?? '/tmp/trackside-bench-seed';
const EXPERIMENT = 'bench-10k';
const FILTER = "metrics.rmse < 0.3 and params.alpha = '0.5'";
const FILTER_2 = "metrics.rmse > 1.1 and params.solver = 'adam'";

const ms = value => `${Math.round(value)} ms`;

async function main() {
  if (!fs.existsSync(path.join(SEED, 'mlflow.db'))) {
    console.log(`Seeding ${RUNS} runs into ${SEED} (one-time, a few minutes)…`);
    fs.mkdirSync(SEED, { recursive: true });
    execFileSync(
      python,
      [path.join(here, 'seed_runs.py'), SEED, String(RUNS), EXPERIMENT],
      { stdio: 'inherit' }
    );
  }
  const prepare = backend =>
    fs.copyFileSync(
      path.join(SEED, 'mlflow.db'),
      path.join(backend, 'mlflow.db')
    );
  await withLab('runs', { port: PORT, prepare }, async ({ lab, browser }) => {
    const base = lab.base;
    const put = await fetch(
      `${base}/lab/api/settings/jupyterlab-trackside:panel`,
      {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          raw: JSON.stringify({ runsPerExperiment: RUNS })
        })
      }
    );
    if (!put.ok) {
      throw new Error(`Could not set runsPerExperiment: ${put.status}`);
    }

    const version = browser.version();
    const page = await openLab(browser, base);
    const panel = await openHealthyPanel(page);
    const experiment = panel.getByRole('button', {
      name: EXPERIMENT,
      exact: true
    });
    await experiment.waitFor({ timeout: 60_000 });
    const experimentId = await experiment.evaluate(button =>
      button.closest('[data-experiment-id]').getAttribute('data-experiment-id')
    );

    // Raw REST through the same gateway, timed in the page.
    const rest = (body, pages = 1) =>
      page.evaluate(
        async ({ body, pages }) => {
          const url = `${window.jupyterapp.serviceManager.serverSettings.baseUrl}trackside/api/mlflow/runs/search`;
          const start = performance.now();
          let token;
          let count = 0;
          let bytes = 0;
          for (let i = 0; i < pages; i++) {
            const response = await fetch(url, {
              method: 'POST',
              headers: { 'Content-Type': 'application/json' },
              body: JSON.stringify({
                ...body,
                max_results: i === 0 ? body.max_results : 1000,
                ...(token ? { page_token: token } : {})
              })
            });
            const text = await response.text();
            bytes += text.length;
            const data = JSON.parse(text);
            count += (data.runs ?? []).length;
            token = data.next_page_token;
            if (!token) {
              break;
            }
          }
          return { time: performance.now() - start, count, bytes };
        },
        { body, pages }
      );
    const restBody = extra => ({
      experiment_ids: [experimentId],
      order_by: ['attributes.start_time DESC'],
      max_results: 100,
      ...extra
    });

    const ready = [];
    const all = [];
    for (let i = 0; i < REPEAT; i++) {
      const times = await page.evaluate(
        async ({ name, runs }) => {
          const panel = document.getElementById('jp-trackside-panel');
          const button = Array.from(
            panel.querySelectorAll('button[aria-expanded]')
          ).find(b => b.textContent === name);
          if (button.getAttribute('aria-expanded') === 'true') {
            button.click();
            await window.__benchWait(
              () => button.getAttribute('aria-expanded') === 'false'
            );
          }
          const item = button.closest('li');
          const t0 = performance.now();
          button.click();
          const first = await window.__benchWait(
            () =>
              item.querySelectorAll('[role="table"] [role="rowheader"]')
                .length > 5
          );
          const done = await window.__benchWait(
            () =>
              item.querySelector('.jp-Trackside-RunCount')?.textContent ===
              `${runs} runs`
          );
          return { first: first - t0, done: done - t0 };
        },
        { name: EXPERIMENT, runs: RUNS }
      );
      ready.push(times.first);
      all.push(times.done);
    }
    const restFirst = [];
    const restAll = [];
    let restAllBytes = 0;
    for (let i = 0; i < REPEAT; i++) {
      restFirst.push((await rest(restBody({}))).time);
      const full = await rest(restBody({}), 1 + Math.ceil(RUNS / 1000));
      restAll.push(full.time);
      restAllBytes = full.bytes;
    }

    // Rows in the DOM and frame times while scrolling through the table.
    const cdp = process.env.BENCH_PROFILE
      ? await page.context().newCDPSession(page)
      : null;
    if (cdp) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.start');
    }
    const scrollRun = mode =>
      page.evaluate(async mode => {
        const view = document.querySelector(
          '#jp-trackside-panel .jp-Trackside-View'
        );
        const table = view.querySelector('[role="table"]');
        const frames = [];
        let rowsMax = 0;
        view.scrollTop = 0;
        await new Promise(resolve => requestAnimationFrame(resolve));
        let last = performance.now();
        const max = view.scrollHeight - view.clientHeight;
        for (let i = 1; i <= 240; i++) {
          // "wheel": 60 px a frame (a fast wheel/trackpad scroll);
          // "jump": a new screenful every frame (dragging the scrollbar).
          view.scrollTop =
            mode === 'wheel' ? i * 60 : ((i * 7919 * 48) % max) | 0;
          await new Promise(resolve => requestAnimationFrame(resolve));
          const now = performance.now();
          frames.push(now - last);
          last = now;
          rowsMax = Math.max(
            rowsMax,
            table.querySelectorAll('tbody tr').length
          );
        }
        view.scrollTop = 0;
        return {
          frames,
          rowsMax,
          rowcount: Number(table.getAttribute('aria-rowcount'))
        };
      }, mode);
    const wheel = await scrollRun('wheel');
    const scroll = await scrollRun('jump');

    if (cdp) {
      const { profile } = await cdp.send('Profiler.stop');
      const self = new Map();
      const dt = profile.timeDeltas;
      const byId = new Map(profile.nodes.map(n => [n.id, n]));
      profile.samples.forEach((id, i) => {
        const node = byId.get(id);
        const f = node.callFrame;
        const key = `${f.functionName || '(anon)'} ${f.url.split('/').pop()}:${f.lineNumber}`;
        self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0) / 1000);
      });
      console.log([...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25));
      console.log(scroll.frames.slice(0, 40).map(Math.round));
    }

    // Filters: Enter in the box -> the filtered rows shown (alternating two
    // filters so that each apply changes the rows).
    const filterTimes = [];
    const filterDone = [];
    const filterRest = [];
    const filterRestFirst = [];
    const filters = [FILTER, FILTER_2];
    const expected = {};
    for (const filter of filters) {
      const result = await rest(restBody({ filter, max_results: 1000 }), 20);
      expected[filter] = result.count;
    }
    for (let i = 0; i < REPEAT * 2; i++) {
      const filter = filters[i % 2];
      const time = await page.evaluate(
        async ({ name, filter, count }) => {
          const panel = document.getElementById('jp-trackside-panel');
          const button = Array.from(
            panel.querySelectorAll('button[aria-expanded]')
          ).find(b => b.textContent === name);
          const item = button.closest('li');
          const input = item.querySelector('input[type="search"]');
          const setter = Object.getOwnPropertyDescriptor(
            HTMLInputElement.prototype,
            'value'
          ).set;
          setter.call(input, filter);
          input.dispatchEvent(new Event('input', { bubbles: true }));
          const t0 = performance.now();
          input.form.requestSubmit();
          // Shown: the first page of the filtered runs (100; both filters
          // match more), or all of them.
          const shown = await window.__benchWait(() => {
            const text =
              item.querySelector('.jp-Trackside-RunCount')?.textContent ?? '';
            return (
              text === '100 runs loaded, loading more…' ||
              text === `${count} matching runs`
            );
          });
          const done = await window.__benchWait(
            () =>
              item.querySelector('.jp-Trackside-RunCount')?.textContent ===
              `${count} matching runs`
          );
          return { shown: shown - t0, done: done - t0 };
        },
        { name: EXPERIMENT, filter, count: expected[filter] }
      );
      filterTimes.push(time.shown);
      filterDone.push(time.done);
    }
    for (let i = 0; i < REPEAT * 2; i++) {
      const filter = filters[i % 2];
      // The same query as the panel: a first page of 100, then pages of 1000.
      filterRest.push((await rest(restBody({ filter }), 20)).time);
      filterRestFirst.push((await rest(restBody({ filter }))).time);
    }

    const figures = {
      version,
      cpus: os.cpus().length,
      runs: RUNS,
      ready: median(ready),
      readyMax: Math.max(...ready),
      all: median(all),
      restFirst: median(restFirst),
      restAll: median(restAll),
      restAllBytes,
      filter: median(filterTimes),
      filterMax: Math.max(...filterTimes),
      filterRest: median(filterRest),
      filterRestFirst: median(filterRestFirst),
      filterDone: median(filterDone),
      wheelP50: quantile(wheel.frames, 0.5),
      wheelP95: quantile(wheel.frames, 0.95),
      filterCounts: expected,
      frameP50: quantile(scroll.frames, 0.5),
      frameP95: quantile(scroll.frames, 0.95),
      rowsMax: scroll.rowsMax,
      rowcount: scroll.rowcount
    };
    console.log(JSON.stringify(figures, null, 2));
    writeReadme(figures);
  });
}

function writeReadme(f) {
  const date = new Date().toISOString().slice(0, 10);
  const section = `## Runs table

\`node bench/runs_table.mjs\` (${date}; headless Debian Chromium ${f.version}, ${f.cpus} cores, no GPU; JupyterLab with the embedded MLflow server on SQLite; ${f.runs.toLocaleString('en')} runs in one experiment (one of them a parent of 10 nested runs), seeded by \`bench/seed_runs.py\`; \`runsPerExperiment\` = ${f.runs}; medians of ${REPEAT} (filters: ${REPEAT * 2}), timed in the page).

| what | Trackside panel | raw \`runs/search\` REST, same run | target |
|---|---|---|---|
| table ready: click on the experiment → first rows shown | **${ms(f.ready)}** (max ${ms(f.readyMax)}) | first page (100 runs): ${ms(f.restFirst)} | ≤ 1 s |
| all ${f.runs.toLocaleString('en')} runs loaded (paged in the background, table usable) | ${ms(f.all)} | all pages (100 + 1000 × ${Math.ceil(f.runs / 1000)}): ${ms(f.restAll)}, ${(f.restAllBytes / 1e6).toFixed(1)} MB JSON | — |
| filter applied: Enter → filtered rows shown (\`${FILTER}\`: ${f.filterCounts[FILTER]} runs; \`${FILTER_2}\`: ${f.filterCounts[FILTER_2]} runs) | **${ms(f.filter)}** (max ${ms(f.filterMax)}) | first page (100) of the same query: ${ms(f.filterRestFirst)} | ≤ 300 ms |
| filter complete (every matching run loaded) | ${ms(f.filterDone)} | same query and paging: ${ms(f.filterRest)} | — |
| scrolling the ${f.runs.toLocaleString('en')}-row table, 60 px a frame | frame p50 ${ms(f.wheelP50)}, p95 ${ms(f.wheelP95)} | — | smooth |
| scrolling, a new screenful every frame (scrollbar drag) | frame p50 ${ms(f.frameP50)}, p95 ${ms(f.frameP95)}; at most ${f.rowsMax} rows in the DOM (aria-rowcount ${f.rowcount}) | — | — |

The panel's time over the raw REST time is the cost of rendering: the first
page (100 runs) is shown as soon as it arrives and the following pages (1000
runs each) are appended while the table stays usable; only the rows in view
(plus a small overscan) are in the DOM, so rendering does not grow with the
number of runs. A filter is sent to MLflow as \`filter\` (the server does the
work), so the panel follows the REST time of the query.
`;
  writeSection('Runs table', section);
}

main().catch(reason => {
  console.error(reason);
  process.exit(1);
});
