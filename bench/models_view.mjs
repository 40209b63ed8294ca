/**
 * Models-view benchmark (not a test): 1,000 registered models × 20 versions
 * in a real JupyterLab with Trackside and its embedded MLflow server, driven
 * by Playwright in Debian's chromium.
 *
 *   node bench/models_view.mjs           # writes the "Models view" section
 *                                        # of bench/README.md
 *
 * Measures, in the page (performance.now()):
 *  - Models view ready: click on "Models" in a freshly loaded JupyterLab ->
 *    the first page of registered models drawn;
 *  - search result: Enter in the search box -> the matching models drawn,
 *    for plain text (sent as `name ILIKE '%text%'`) and a tag filter;
 * each against the same `registered-models/search` REST call made from the
 * page through the same gateway (fetch + JSON parse), in the same run.
 *
 * Environment: BENCH_MODELS_SEED_DIR (cached seeded store, default
 * /tmp/trackside-bench-models-seed), BENCH_MODELS (1000), BENCH_VERSIONS
 * (20), BENCH_PORT (8913; the MLflow server on BENCH_PORT - 3000),
 * BENCH_REPEAT (5), BENCH_NO_WAIT (skip waiting for a load average <= 1.5).
 */
import { execFileSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import {
  here,
  machine,
  median,
  openHealthyPanel,
  openLab,
  python,
  pythonVersion,
  withLab,
  writeSection
} from './lab.mjs';

const MODELS = Number(process.env.BENCH_MODELS ?? 1000);
const VERSIONS = Number(process.env.BENCH_VERSIONS ?? 20);
const PORT = Number(process.env.BENCH_PORT ?? 8913);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 5);
const SEED =
  process.env.BENCH_MODELS_SEED_DIR ?? '/tmp/trackside-bench-models-seed';
// The page size of the Models view (RegisteredModelsModel.PAGE_SIZE).
const PAGE = 50;

/**
 * Two searches, alternated so that each changes the list: plain text and
 * MLflow filter syntax, with what the view sends and its first match.
 */
const SEARCHES = [
  {
    text: 'model-05',
    filter: "name ILIKE '%model-05%'",
    first: 'model-0500'
  },
  {
    text: "tags.team = 'team-3'",
    filter: "tags.team = 'team-3'",
    first: 'model-0003'
  }
];

const ms = value => `${Math.round(value)} ms`;
const ratio = (value, anchor) => `${(value / anchor).toFixed(1)}×`;

/**
 * The registered-models/search call the view makes, straight from the page
 * through the gateway; resolves with its time (ms) and model count.
 */
function restSearch(page, filter) {
  return page.evaluate(
    async ({ filter, page }) => {
      const base = window.jupyterapp.serviceManager.serverSettings.baseUrl;
      const params = new URLSearchParams({ max_results: String(page) });
      if (filter) {
        params.set('filter', filter);
      }
      params.append('order_by', 'name ASC');
      const start = performance.now();
      const response = await fetch(
        `${base}trackside/api/mlflow/registered-models/search?${params}`
      );
      const data = JSON.parse(await response.text());
      return {
        time: performance.now() - start,
        count: (data.registered_models ?? []).length
      };
    },
    { filter, page: PAGE }
  );
}

/**
 * Click "Models" and time until the first page is drawn.
 */
function timeReady(page) {
  return page.evaluate(async count => {
    const panel = document.getElementById('jp-trackside-panel');
    const button = Array.from(
      panel.querySelectorAll('.jp-Trackside-SectionButton')
    ).find(b => b.textContent === 'Models');
    const t0 = performance.now();
    button.click();
    const drawn = await window.__benchWait(
      () =>
        panel.querySelectorAll(
          '.jp-Trackside-ModelsList .jp-Trackside-ModelName'
        ).length === count
    );
    return drawn - t0;
  }, PAGE);
}

/**
 * Type a search, press Enter (a form submit) and time until its matches
 * are drawn.
 */
function timeSearch(page, search, count) {
  return page.evaluate(
    async ({ text, first, count }) => {
      const panel = document.getElementById('jp-trackside-panel');
      const input = panel.querySelector('.jp-Trackside-ModelsSearchInput');
      const setter = Object.getOwnPropertyDescriptor(
        HTMLInputElement.prototype,
        'value'
      ).set;
      setter.call(input, text);
      input.dispatchEvent(new Event('input', { bubbles: true }));
      const t0 = performance.now();
      input.form.requestSubmit();
      const drawn = await window.__benchWait(() => {
        const names = panel.querySelectorAll(
          '.jp-Trackside-ModelsList .jp-Trackside-ModelName'
        );
        return names.length === count && names[0].textContent === first;
      });
      return drawn - t0;
    },
    { text: search.text, first: search.first, count }
  );
}

async function main() {
  if (!fs.existsSync(path.join(SEED, 'mlflow.db'))) {
    console.log(
      `Seeding ${MODELS} registered models × ${VERSIONS} versions into ${SEED}…`
    );
    execFileSync(
      python,
      [
        path.join(here, 'seed_models.py'),
        SEED,
        String(MODELS),
        String(VERSIONS)
      ],
      { stdio: 'inherit' }
    );
  }
  const prepare = backend =>
    fs.copyFileSync(
      path.join(SEED, 'mlflow.db'),
      path.join(backend, 'mlflow.db')
    );
  await withLab(
    'models',
    { port: PORT, prepare },
    async ({ lab, browser, loadBefore }) => {
      // Ready: a fresh JupyterLab each time, so that the list is not cached.
      const ready = [];
      const readyRest = [];
      for (let i = 0; i < REPEAT; i++) {
        const page = await openLab(browser, lab.base);
        await openHealthyPanel(page);
        // A first call of another search warms the connection and MLflow
        // for both alike; then view and anchor take turns going first.
        await restSearch(page, "name = 'model-0999'");
        if (i % 2 === 0) {
          readyRest.push((await restSearch(page, undefined)).time);
          ready.push(await timeReady(page));
        } else {
          ready.push(await timeReady(page));
          readyRest.push((await restSearch(page, undefined)).time);
        }
        await page.close();
      }

      const page = await openLab(browser, lab.base);
      await openHealthyPanel(page);
      await timeReady(page);
      const counts = [];
      for (const search of SEARCHES) {
        const { count } = await restSearch(page, search.filter);
        counts.push(count);
      }
      const searchTimes = SEARCHES.map(() => []);
      const searchRest = SEARCHES.map(() => []);
      for (let i = 0; i < REPEAT; i++) {
        for (const [k, search] of SEARCHES.entries()) {
          searchRest[k].push((await restSearch(page, search.filter)).time);
          searchTimes[k].push(await timeSearch(page, search, counts[k]));
        }
      }
      await page.close();

      const rows = [
        ['Models view ready (first page drawn)', ready, readyRest, 1000],
        ...SEARCHES.map((search, k) => [
          `Search result: \`${search.text}\` (${counts[k]} models)`,
          searchTimes[k],
          searchRest[k],
          300
        ])
      ];
      const table = rows
        .map(
          ([what, times, anchor, target]) =>
            `| ${what} | ${ms(median(times))} | ${ms(Math.max(...times))} | ${ms(median(anchor))} | ${ratio(median(times), median(anchor))} | ≤ ${target} ms: ${median(times) <= target ? 'met' : 'NOT met'} |`
        )
        .join('\n');
      const section = `## Models view

\`node bench/models_view.mjs\` (${new Date().toISOString().slice(0, 10)}): ${MODELS} registered
models × ${VERSIONS} versions (seeded by \`bench/seed_models.py\` through MLflow's own SQL
store), in a real JupyterLab with its embedded MLflow server; ${machine(browser)};
${pythonVersion()}; load average ${loadBefore.toFixed(2)} at start. Median of ${REPEAT}.

- **Ready**: click on "Models" in a freshly loaded JupyterLab → the first page (${PAGE}
  models) drawn.
- **Search**: Enter in the search box → the matching models drawn (plain text is sent as
  \`name ILIKE '%text%'\`; filter syntax as is).
- **Anchor**: the same \`registered-models/search\` call (same filter, page size and order)
  made with \`fetch\` from the page through the same gateway, JSON parsed, in the same run
  (after a warm-up call of another search; view and anchor take turns going first).
  The ratio is what the view adds to that call (React rendering, the status header, the
  first frame).

| Measure | Median | Max | Anchor (REST) | Ratio | Target |
| --- | --- | --- | --- | --- | --- |
${table}

${
  loadBefore > 1.5
    ? `Measured on a busy machine (load average above the 1.5 the other benchmarks wait
for, \`BENCH_NO_WAIT\`): both the view and its anchor are slower than on a quiet one; the
ratios are the figures to compare.

`
    : ''
}The view never loads all ${MODELS} models: it asks for one page of ${PAGE} and shows "Load
more" (the next page token) below it.
`;
      console.log(section);
      writeSection('Models view', section);
    }
  );
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
