/**
 * Runs-table benchmark (not a test): 100,000 runs in one experiment, in a
 * real JupyterLab with Trackside and its embedded MLflow server, driven by
 * Playwright in Debian's chromium.
 *
 *   node bench/runs_table.mjs            # writes the "Runs table" section
 *                                        # of bench/README.md
 *
 * Measures, in the page (performance.now()):
 *  - table ready: click on the experiment -> first rows of the table shown;
 *  - scroll to a far point: scrolling to the end of the table again and
 *    again until run #FAR is in view (the table loads a page each time it
 *    nears its last loaded row), with the runs the browser then holds and
 *    its JS heap;
 *  - the far end at once: a click on "Started" (oldest first, MLflow's
 *    order_by) -> the oldest run shown;
 *  - filter applied: Enter in the search box -> the filtered rows shown;
 *  - scrolling the loaded rows: frame times and rows in the DOM;
 * each against the raw REST time of the same `runs/search` queries through
 * the same gateway, measured in the same run.
 *
 * Environment: BENCH_RUNS (100000), BENCH_FAR (10000), BENCH_SEED_DIR
 * (cached seeded store, default /tmp/trackside-bench-seed-<runs>),
 * BENCH_PORT (8899), BENCH_REPEAT (5), BENCH_PROFILE (print a CPU profile
 * of the scroll), BENCH_NO_WAIT (skip waiting for a load average <= 1.5).
 */
import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import {
  here,
  load1,
  median,
  openHealthyPanel,
  openLab,
  python,
  quantile,
  withLab,
  writeSection
} from './lab.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 100_000);
const FAR = Math.min(RUNS, Number(process.env.BENCH_FAR ?? 10_000));
const PORT = Number(process.env.BENCH_PORT ?? 8899);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 5);
const SEED = process.env.BENCH_SEED_DIR ?? `/tmp/trackside-bench-seed-${RUNS}`;
const EXPERIMENT = `bench-${Math.round(RUNS / 1000)}k`;
// The panel setting's maximum: what the browser may hold at most.
const LIMIT = Math.min(RUNS, 50_000);
const FIRST_SHOWN = '100 runs loaded, more as you scroll';
const FILTER = "metrics.rmse < 0.3 and params.alpha = '0.5'";
const FILTER_2 = "metrics.rmse > 1.1 and params.solver = 'adam'";

const ms = value => `${Math.round(value)} ms`;

async function main() {
  if (!fs.existsSync(path.join(SEED, 'mlflow.db'))) {
    console.log(`Seeding ${RUNS} runs into ${SEED} (one-time, a minute)…`);
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
  await withLab(
    'runs',
    { port: PORT, prepare },
    async ({ lab, browser, loadBefore }) => {
      const base = lab.base;
      const put = await fetch(
        `${base}/lab/api/settings/jupyterlab-trackside:panel`,
        {
          method: 'PUT',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({
            raw: JSON.stringify({ runsPerExperiment: LIMIT })
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
        button
          .closest('[data-experiment-id]')
          .getAttribute('data-experiment-id')
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
              const xsrf = document.cookie.match(/_xsrf=([^;]+)/)?.[1];
              const response = await fetch(url, {
                method: 'POST',
                headers: {
                  'Content-Type': 'application/json',
                  ...(xsrf ? { 'X-XSRFToken': decodeURIComponent(xsrf) } : {})
                },
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

      const heap = () =>
        page.evaluate(() => performance.memory?.usedJSHeapSize ?? null);
      const heapBefore = await heap();

      // Table ready: click -> the first rows shown.
      const ready = [];
      for (let i = 0; i < REPEAT; i++) {
        const time = await page.evaluate(
          async ({ name }) => {
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
            return first - t0;
          },
          { name: EXPERIMENT }
        );
        ready.push(time);
      }
      const restFirst = [];
      const restFar = [];
      const restOldest = [];
      for (let i = 0; i < REPEAT; i++) {
        restFirst.push((await rest(restBody({}))).time);
        restOldest.push(
          (await rest(restBody({ order_by: ['attributes.start_time ASC'] })))
            .time
        );
      }
      // The same pages the panel fetches to reach run #FAR: 100, then 1000s.
      for (let i = 0; i < Math.min(REPEAT, 3); i++) {
        restFar.push(
          (await rest(restBody({}), 1 + Math.ceil(FAR / 1000))).time
        );
      }

      // Scroll to a far point: to the end of the table until run #FAR is in
      // view; each time the table nears its last loaded row it loads a page.
      const far = await page.evaluate(
        async ({ name, far }) => {
          const panel = document.getElementById('jp-trackside-panel');
          const view = panel.querySelector('.jp-Trackside-View');
          const item = Array.from(
            panel.querySelectorAll('button[aria-expanded]')
          )
            .find(b => b.textContent === name)
            .closest('li');
          const loaded = () =>
            Number(
              (
                item.querySelector('.jp-Trackside-RunCount')?.textContent ?? ''
              ).match(/^(\d+)/)?.[1] ?? 0
            );
          const lastIndex = () =>
            Math.max(
              0,
              ...Array.from(item.querySelectorAll('tbody [role="row"]'), row =>
                Number(row.getAttribute('aria-rowindex'))
              )
            );
          const t0 = performance.now();
          let scrolls = 0;
          while (lastIndex() < far) {
            view.scrollTop = view.scrollHeight;
            scrolls++;
            const before = loaded();
            await window.__benchWait(
              () => loaded() > before || lastIndex() >= far,
              60_000
            );
          }
          return { time: performance.now() - t0, scrolls, loaded: loaded() };
        },
        { name: EXPERIMENT, far: FAR }
      );
      const heapFar = await heap();

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
          return { frames, rowsMax };
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
        console.log(
          [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25)
        );
        console.log(scroll.frames.slice(0, 40).map(Math.round));
      }

      // The far end at once: "Started" ascending (oldest first) on the
      // server. Clicks alternate ascending / descending; the ascending ones
      // are timed.
      const oldest = [];
      for (let i = 0; i < REPEAT; i++) {
        const time = await page.evaluate(
          async ({ name }) => {
            const panel = document.getElementById('jp-trackside-panel');
            const item = Array.from(
              panel.querySelectorAll('button[aria-expanded]')
            )
              .find(b => b.textContent === name)
              .closest('li');
            const header = () =>
              item.querySelector('[role="columnheader"][data-column="start"]');
            const firstRun = () =>
              item
                .querySelector('tbody [role="rowheader"]')
                ?.getAttribute('aria-label');
            if (header().getAttribute('aria-sort') === 'ascending') {
              header().querySelector('button').click();
              await window.__benchWait(
                () =>
                  firstRun() !== 'run-000000' &&
                  !item.querySelector('[aria-busy="true"]')
              );
            }
            const t0 = performance.now();
            header().querySelector('button').click();
            const shown = await window.__benchWait(
              () => firstRun() === 'run-000000'
            );
            return shown - t0;
          },
          { name: EXPERIMENT }
        );
        oldest.push(time);
      }

      // Filters: Enter in the box -> the filtered rows shown (alternating two
      // filters so that each apply changes the rows).
      const filterTimes = [];
      const filterRestFirst = [];
      const filters = [FILTER, FILTER_2];
      for (let i = 0; i < REPEAT * 2; i++) {
        const filter = filters[i % 2];
        const time = await page.evaluate(
          async ({ name, filter, firstShown }) => {
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
            // Shown: the first page of the filtered runs (both filters match
            // more than a page).
            const shown = await window.__benchWait(
              () =>
                item.querySelector('.jp-Trackside-RunCount')?.textContent ===
                  firstShown &&
                !item.querySelector('[aria-busy="true"]') &&
                input.form.querySelector('[aria-invalid="true"]') === null
            );
            return shown - t0;
          },
          { name: EXPERIMENT, filter, firstShown: FIRST_SHOWN }
        );
        filterTimes.push(time);
      }
      for (let i = 0; i < REPEAT * 2; i++) {
        const filter = filters[i % 2];
        // The same query as the panel (the table is sorted by "Started").
        filterRestFirst.push(
          (
            await rest(
              restBody({ filter, order_by: ['attributes.start_time ASC'] })
            )
          ).time
        );
      }

      const figures = {
        version,
        cpus: os.cpus().length,
        loadBefore,
        loadAfter: load1(),
        runs: RUNS,
        far: FAR,
        limit: LIMIT,
        ready: median(ready),
        readyMax: Math.max(...ready),
        restFirst: median(restFirst),
        farTime: far.time,
        farScrolls: far.scrolls,
        farLoaded: far.loaded,
        restFar: median(restFar),
        heapBefore,
        heapFar,
        oldest: median(oldest),
        oldestMax: Math.max(...oldest),
        restOldest: median(restOldest),
        filter: median(filterTimes),
        filterMax: Math.max(...filterTimes),
        filterRestFirst: median(filterRestFirst),
        wheelP50: quantile(wheel.frames, 0.5),
        wheelP95: quantile(wheel.frames, 0.95),
        frameP50: quantile(scroll.frames, 0.5),
        frameP95: quantile(scroll.frames, 0.95),
        rowsMax: scroll.rowsMax
      };
      console.log(JSON.stringify(figures, null, 2));
      writeReadme(figures);
    }
  );
}

function writeReadme(f) {
  const date = new Date().toISOString().slice(0, 10);
  const mb = bytes =>
    bytes === null ? 'n/a' : `${(bytes / 1e6).toFixed(0)} MB`;
  const ratio = (a, b) => `${(a / b).toFixed(1)}×`;
  const n = value => value.toLocaleString('en');
  const section = `## Runs table

\`node bench/runs_table.mjs\` (${date}; headless Debian Chromium ${f.version}, ${f.cpus} cores, no GPU; load average ${f.loadBefore.toFixed(1)} at the start, ${f.loadAfter.toFixed(1)} at the end; JupyterLab with the embedded MLflow server on SQLite; ${n(f.runs)} runs in one experiment (one of them a parent of 10 nested runs), seeded by \`bench/seed_runs.py\`; \`runsPerExperiment\` = ${n(f.limit)}, the setting's maximum; medians of ${REPEAT} (filters: ${REPEAT * 2}), timed in the page).

| what | Trackside panel | raw \`runs/search\` REST, same run | panel / REST | target |
|---|---|---|---|---|
| table ready: click on the experiment → first rows shown | **${ms(f.ready)}** (max ${ms(f.readyMax)}) | first page (100 runs): ${ms(f.restFirst)} | ${ratio(f.ready, f.restFirst)} | ≤ 1 s |
| filter applied: Enter → first page of the filtered rows shown (\`${FILTER}\`, \`${FILTER_2}\`) | **${ms(f.filter)}** (max ${ms(f.filterMax)}) | first page (100) of the same query: ${ms(f.filterRestFirst)} | ${ratio(f.filter, f.filterRestFirst)} | ≤ 500 ms |
| scroll to a far point: to the table's end again and again until run #${n(f.far)} is in view | ${ms(f.farTime)} (${f.farScrolls} scrolls) | the same pages (100 + 1000 × ${Math.ceil(f.far / 1000)}): ${ms(f.restFar)} | ${ratio(f.farTime, f.restFar)} | — |
| runs held by the browser there | ${n(f.farLoaded)} of ${n(f.runs)}; JS heap ${mb(f.heapBefore)} before the experiment was opened, ${mb(f.heapFar)} there | — | — | not all |
| the far end at once: click on "Started" (oldest first, \`order_by\` on the server) → the oldest run shown | **${ms(f.oldest)}** (max ${ms(f.oldestMax)}) | first page, \`attributes.start_time ASC\`: ${ms(f.restOldest)} | ${ratio(f.oldest, f.restOldest)} | ≤ 1 s |
| scrolling the loaded rows, 60 px a frame | frame p50 ${ms(f.wheelP50)}, p95 ${ms(f.wheelP95)} | — | — | smooth |
| scrolling, a new screenful every frame (scrollbar drag) | frame p50 ${ms(f.frameP50)}, p95 ${ms(f.frameP95)}; at most ${f.rowsMax} rows in the DOM | — | — | — |

The table loads pages on demand: the first page (100 runs) when the
experiment is opened, then a page of 1000 each time the view comes within
40 rows of the last loaded run, following MLflow's \`next_page_token\`. Only
the rows in view (plus a small overscan) are in the DOM, and the browser
holds the runs scrolled through, never more than \`runsPerExperiment\`
(at most 50,000). MLflow has no offset paging and no run count, and its
documentation calls the token format unstable, so the panel never forges a
token: a point deep in the list is reached by paging to it (the "far point"
row: its cost is the REST time of those pages), and the far end is reached
in one request by sorting on the server — while runs are left on the
server, a header sort is sent as \`order_by\` (start time, name, status, a
param or metric; the duration, which MLflow cannot order by, sorts the
loaded runs only). A filter is sent as \`filter\` and shows its first page.
The panel's time over the raw REST time is the cost of rendering.
`;
  writeSection('Runs table', section);
}

main().catch(reason => {
  console.error(reason);
  process.exit(1);
});
