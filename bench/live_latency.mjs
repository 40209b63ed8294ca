/**
 * Live-latency benchmark (not a test): from `mlflow.log_metric` in a tracked
 * notebook's kernel to the point drawn in the run's chart in the Trackside
 * panel, in a real JupyterLab with the embedded MLflow server, driven by
 * Playwright in Debian's chromium.
 *
 *   node bench/live_latency.mjs        # writes the "Live latency" section
 *                                      # of bench/README.md
 *
 * The kernel logs point i at wall-clock time t_i (`time.time()`, taken just
 * before the call), one point every 100-200 ms. In the page, a
 * MutationObserver on the chart's screen-reader summary (updated after each
 * Plotly draw) records when step i is shown (`Date.now()` at the next
 * animation frame, same machine clock). In the same run, Node polls MLflow's
 * REST `metrics/get-history` back to back and records when step i is first
 * retrievable there: the floor for anything MLflow's UI could show (the UI
 * itself refreshes every 30 s).
 *
 * Environment: BENCH_POINTS (100), BENCH_PORT (8911; MLflow on port - 3000),
 * BENCH_NO_WAIT (skip waiting for a load average <= 1.5).
 */
import {
  load1,
  machine,
  ms,
  openLiveChart,
  pollHistory,
  pythonVersion,
  quantile,
  sleep,
  verdict,
  withLab,
  writeSection
} from './lab.mjs';

const POINTS = Number(process.env.BENCH_POINTS ?? 100);
const PORT = Number(process.env.BENCH_PORT ?? 8911);
const EXPERIMENT = 'bench-live';
const KEY = 'latency';

const START_RUN = `
import json, random, time
import mlflow
mlflow.set_experiment(${JSON.stringify(EXPERIMENT)})
bench_run = mlflow.start_run(run_name="live-" + time.strftime("%H%M%S"))
mlflow.log_metric(${JSON.stringify(KEY)}, 0.0, step=0)
print(json.dumps([bench_run.info.run_id, bench_run.info.run_name]))
`;

const LOG_POINTS = `
bench_times = []
for i in range(1, ${POINTS} + 1):
    time.sleep(random.uniform(0.1, 0.2))
    bench_times.append(time.time())
    mlflow.log_metric(${JSON.stringify(KEY)}, (i * 7919 % 1000) / 1000, step=i)
`;

/**
 * When step i was first shown: the first observation of a step >= i.
 */
function firstShown(observations, step) {
  const hit = observations.find(o => o.step >= step);
  return hit ? hit.time : null;
}

async function main() {
  await withLab(
    'live',
    { port: PORT },
    async ({ lab, browser, loadBefore }) => {
      const { page, runId, chart } = await openLiveChart(browser, lab.base, {
        startCode: START_RUN,
        experiment: EXPERIMENT,
        key: KEY
      });
      // Drawn (Plotly loaded, first draw done), then a quiet second.
      await chart
        .locator('.jp-Trackside-ChartSummary', { hasText: '(step 0)' })
        .waitFor({ timeout: 60_000 });
      await sleep(1000);

      // In the page: when each step is first shown by the summary, when it
      // reached the series store, and the long tasks of the main thread.
      await chart.evaluate(
        async (node, { runId, key }) => {
          const summary = document.getElementById(
            node.getAttribute('aria-describedby')
          );
          window.__benchShown = [];
          window.__benchStored = [];
          window.__benchLongTasks = [];
          new MutationObserver(() => {
            const match = /\(step (\d+)\)/.exec(summary.textContent);
            const dom = Date.now();
            if (match) {
              requestAnimationFrame(() =>
                window.__benchShown.push({
                  step: Number(match[1]),
                  dom,
                  time: Date.now()
                })
              );
            }
          }).observe(summary, {
            childList: true,
            characterData: true,
            subtree: true
          });
          const mod = (
            await window._JUPYTERLAB['jupyterlab-trackside'].get('./index')
          )();
          const store = await window.jupyterapp.resolveRequiredService(
            mod.ISeriesStore
          );
          store.changed.connect((_, change) => {
            if (change.runId === runId && change.key === key) {
              const series = store.get(runId, key);
              window.__benchStored.push({
                step: series.steps[series.length - 1],
                time: Date.now()
              });
            }
          });
          new PerformanceObserver(list => {
            for (const entry of list.getEntries()) {
              window.__benchLongTasks.push(entry.duration);
            }
          }).observe({ type: 'longtask' });
        },
        { runId, key: KEY }
      );

      const load = load1();
      const stop = { value: false };
      const rest = pollHistory(lab.mlflow, runId, KEY, stop, POINTS + 1);
      const began = Date.now();
      await page.evaluate(code => window.__benchCell(code), LOG_POINTS);
      const elapsed = (Date.now() - began) / 1000;
      const times = JSON.parse(
        await page.evaluate(() =>
          window.__benchExec('print(json.dumps(bench_times))')
        )
      );
      await sleep(3000);
      stop.value = true;
      await rest.done;
      const { shown, stored, longTasks } = await page.evaluate(() => ({
        shown: window.__benchShown,
        stored: window.__benchStored,
        longTasks: window.__benchLongTasks
      }));
      await page.evaluate(() =>
        window.__benchCell('mlflow.end_run()\nprint("ended")')
      );

      const chartLatency = [];
      const domLatency = [];
      const storeLatency = [];
      const restLatency = [];
      let missingChart = 0;
      let missingRest = 0;
      times.forEach((t, index) => {
        const step = index + 1;
        const logged = t * 1000;
        const time = firstShown(shown, step);
        if (time === null) {
          missingChart++;
        } else {
          chartLatency.push(time - logged);
          const dom = shown.find(o => o.step >= step).dom;
          domLatency.push(dom - logged);
        }
        const inStore = firstShown(stored, step);
        if (inStore !== null) {
          storeLatency.push(inStore - logged);
        }
        const restTime = rest.seen.get(step);
        if (restTime === undefined) {
          missingRest++;
        } else {
          restLatency.push(restTime - logged);
        }
      });
      const stat = values => ({
        p50: quantile(values, 0.5),
        p95: quantile(values, 0.95),
        max: Math.max(...values),
        min: Math.min(...values)
      });
      const figures = {
        machine: machine(browser),
        python: pythonVersion(),
        points: times.length,
        elapsed,
        loadBefore,
        load,
        loadAfter: load1(),
        chart: stat(chartLatency),
        dom: stat(domLatency),
        store: stat(storeLatency),
        longTasks: {
          count: longTasks.length,
          max: Math.max(0, ...longTasks),
          total: longTasks.reduce((n, t) => n + t, 0)
        },
        stepsShown: new Set(shown.map(o => o.step)).size,
        rest: stat(restLatency),
        restPolls: rest.stats(),
        missingChart,
        missingRest,
        draws: shown.length
      };
      console.log(JSON.stringify(figures, null, 2));
      if (chartLatency.length && restLatency.length) {
        writeReadme(figures);
      }
    }
  );
}

function writeReadme(f) {
  const date = new Date().toISOString().slice(0, 10);
  writeSection(
    'Live latency',
    `## Live latency

\`node bench/live_latency.mjs\` (${date}; ${f.machine}; ${f.python}; JupyterLab with the embedded MLflow server on SQLite; load average ${f.loadBefore.toFixed(2)} before the run, ${f.load.toFixed(2)} at the start of the measurement, ${f.loadAfter.toFixed(2)} after).

A tracked notebook (Track on: \`%load_ext trackside\`, live stream on the
\`trackside.metrics\` comm) logs ${f.points} points of one metric with
\`mlflow.log_metric\`, one every 100–200 ms (${f.elapsed.toFixed(1)} s), while
the run's detail is open in the Trackside panel (its chart already drawn once,
so Plotly is loaded). Latency of point i = the time
step i is first shown by the chart (its screen-reader summary, updated after
each Plotly draw, observed with a MutationObserver, time taken at the next
animation frame) − \`time.time()\` just before the \`log_metric\` call; same
machine clock. In the same run, Node polled MLflow's REST
\`metrics/get-history\` back to back (${f.restPolls.polls} polls,
${Math.round(f.restPolls.meanPoll)} ms each on average) and recorded when each
step was first retrievable.

| what | p50 | p95 | max | target |
|---|---|---|---|---|
| Trackside: \`log_metric\` → point drawn in the chart | **${ms(f.chart.p50)}** | **${ms(f.chart.p95)}** | ${ms(f.chart.max)} | p50 ≤ 50 ms (${verdict(f.chart.p50, 50)}), p95 ≤ 150 ms (${verdict(f.chart.p95, 150)}) |
| of which: until the point is in the browser's series store (kernel → comm → server → WebSocket → Arrow decode, at an animation frame) | ${ms(f.store.p50)} | ${ms(f.store.p95)} | ${ms(f.store.max)} | — |
| of which: until the chart's DOM is updated (Plotly redraw done, before the frame) | ${ms(f.dom.p50)} | ${ms(f.dom.p95)} | ${ms(f.dom.max)} | — |
| MLflow: \`log_metric\` → point retrievable from \`metrics/get-history\` (the floor for MLflow's UI) | ${ms(f.rest.p50)} | ${ms(f.rest.p95)} | ${ms(f.rest.max)} | — |
| MLflow's UI: refreshes the run page every 30 s | + up to 30 s (15 s on average) | | | |

${f.missingChart || f.missingRest ? `Not observed: ${f.missingChart} points in the chart, ${f.missingRest} in MLflow.\n\n` : ''}${f.stepsShown} of the ${f.points} steps were each shown by a draw of their own (${f.draws}
summary updates; points are 100–200 ms apart; the kernel's stream sends at most 20 messages a
second, the store emits and the chart redraws at most once per animation frame). The page's
main thread had ${f.longTasks.count} long tasks (> 50 ms) during the ${f.elapsed.toFixed(1)} s, the longest
${ms(f.longTasks.max)}. Trackside's point does not wait for MLflow: it goes from the metric tee to
the comm, while durable logging journals it and a background sender delivers it to MLflow.
`
  );
}

main().catch(reason => {
  console.error(reason);
  process.exit(1);
});
