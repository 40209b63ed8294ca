/**
 * Project metrics benchmark (not a test): from a metric logged by an MLflow
 * Project run started from JupyterLab to the point drawn in the run's chart
 * in the Trackside panel, in a real JupyterLab with the embedded MLflow
 * server, driven by Playwright in Debian's chromium.
 *
 *   node bench/project_metrics.mjs     # writes the "Project metrics" section
 *                                      # of bench/README.md
 *
 * The ticker project (bench/ticker_project, entry point `metric`) is opened
 * in the project view and started with its Run button. Its run logs step 0,
 * the run is opened from the view's run link, and once the chart of `tick`
 * is drawn the ticker logs steps 1..BENCH_POINTS, one every BENCH_INTERVAL
 * s. A run outside a kernel has no live comm stream: the chart follows it
 * with incremental history reads. Latency of step i = the time the chart
 * first shows it (its screen-reader summary, updated after each Plotly draw,
 * observed with a MutationObserver, time taken at the next animation frame)
 * − the timestamp MLflow stored with the point (the client's clock just
 * before the call; same machine). In the same run, Node polls MLflow's REST
 * get-history back to back: the floor for anything MLflow's UI could show
 * (the UI itself refreshes every 30 s).
 *
 * Environment: BENCH_POINTS (100), BENCH_INTERVAL (0.2 s), BENCH_PORT
 * (8933; MLflow on port - 3000), BENCH_NO_WAIT (skip waiting for a load
 * average <= 1.5), BENCH_REST_ONLY (no browser: start the run with a POST
 * and measure the REST half alone).
 */
import {
  latencyRow,
  load1,
  machine,
  mlflowFetch,
  openHealthyPanel,
  openLab,
  openRun,
  pollHistory,
  pythonVersion,
  sleep,
  verdict,
  withLab,
  writeSection
} from './lab.mjs';
import {
  copyTickerProject,
  followOutput,
  go,
  openProjectView,
  startExecution,
  stat,
  waitForExecution
} from './project_lab.mjs';

const POINTS = Number(process.env.BENCH_POINTS ?? 100);
const INTERVAL = Number(process.env.BENCH_INTERVAL ?? 0.2);
const PORT = Number(process.env.BENCH_PORT ?? 8933);
const REST_ONLY = !!process.env.BENCH_REST_ONLY;
const KEY = 'tick';
const PARAMETERS = { count: String(POINTS), interval: String(INTERVAL) };

/**
 * Open the run's chart of `tick` in the panel: from the project view's run
 * link, or (when the link does not open it) from the panel's run list.
 */
async function openChart(page, panel, view, run) {
  const chart = panel.getByRole('figure', { name: `Chart of ${KEY}` });
  const drawn = () =>
    chart
      .locator('.jp-Trackside-ChartSummary', { hasText: '(step 0)' })
      .waitFor({ timeout: 30_000 });
  await view
    .getByRole('button', { name: `Open run ${run.run_id} in Trackside` })
    .click();
  try {
    await drawn();
    return { chart, via: 'the project view’s run link' };
  } catch {
    console.log('the run link did not open the chart: using the run list');
  }
  await openRun(panel, run.experiment, run.name);
  await drawn();
  return { chart, via: 'the panel’s run list' };
}

/**
 * In the page: when each step is first shown by the chart's summary.
 */
function observeChart(node) {
  const summary = document.getElementById(
    node.getAttribute('aria-describedby')
  );
  window.__benchShown = [];
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
  }).observe(summary, { childList: true, characterData: true, subtree: true });
}

async function mlflowRun(mlflow, runId) {
  const answer = await (
    await mlflowFetch(`${mlflow}/api/2.0/mlflow/runs/get?run_id=${runId}`)
  ).json();
  if (!answer.run) {
    throw new Error(`run ${runId}: ${JSON.stringify(answer)}`);
  }
  const experiment = await (
    await mlflowFetch(
      `${mlflow}/api/2.0/mlflow/experiments/get?experiment_id=${answer.run.info.experiment_id}`
    )
  ).json();
  return {
    run_id: runId,
    name: answer.run.info.run_name,
    status: answer.run.info.status,
    experiment: experiment.experiment.name
  };
}

async function main() {
  await withLab(
    'project-metrics',
    { port: PORT },
    async ({ lab, browser, work, loadBefore }) => {
      const projectDir = copyTickerProject(work);
      let page = null;
      let panel = null;
      let view = null;
      if (REST_ONLY) {
        await startExecution(lab.base, 'metric', PARAMETERS);
      } else {
        page = await openLab(browser, lab.base);
        panel = await openHealthyPanel(page);
        view = await openProjectView(page, 'metric');
        for (const [name, value] of Object.entries(PARAMETERS)) {
          await view.getByLabel(name, { exact: true }).fill(value);
        }
        await view.getByRole('button', { name: 'Run', exact: true }).click();
      }
      const execution = await waitForExecution(
        lab.base,
        e => e.entry_point === 'metric' && e.run_id
      );
      const stop = { value: false };
      let waiting;
      const ready = new Promise(resolve => (waiting = resolve));
      const reader = followOutput(
        lab.base,
        execution.id,
        line => line.trim() === 'waiting for go' && waiting(),
        stop
      );
      await ready;
      const run = await mlflowRun(lab.mlflow, execution.run_id);

      let via = null;
      if (page) {
        const opened = await openChart(page, panel, view, run);
        via = opened.via;
        await sleep(1000);
        await opened.chart.evaluate(observeChart);
      }

      const rest = pollHistory(lab.mlflow, run.run_id, KEY, stop);
      await sleep(1000);
      const load = load1();
      go(projectDir);
      const ended = await waitForExecution(
        lab.base,
        e => e.id === execution.id && !['queued', 'running'].includes(e.state),
        POINTS * INTERVAL * 1000 + 120_000
      );
      await sleep(3000);
      stop.value = true;
      await Promise.all([rest.done, reader]);
      const shown = page ? await page.evaluate(() => window.__benchShown) : [];
      const status = (await mlflowRun(lab.mlflow, run.run_id)).status;
      const history = await (
        await mlflowFetch(
          `${lab.mlflow}/api/2.0/mlflow/metrics/get-history?run_id=${run.run_id}&metric_key=${KEY}`
        )
      ).json();
      const logged = new Map(
        history.metrics.filter(m => m.step > 0).map(m => [m.step, m.timestamp])
      );

      const chartLatency = [];
      const domLatency = [];
      const restLatency = [];
      const afterRest = [];
      let missingChart = 0;
      for (const [step, time] of logged) {
        const hit = shown.find(o => o.step >= step);
        if (hit) {
          chartLatency.push(hit.time - time);
          domLatency.push(hit.dom - time);
        } else {
          missingChart++;
        }
        if (rest.seen.has(step)) {
          restLatency.push(rest.seen.get(step) - time);
          if (hit) {
            afterRest.push(hit.time - rest.seen.get(step));
          }
        }
      }
      const times = [...logged.values()];
      const figures = {
        machine: machine(browser),
        python: pythonVersion(),
        via,
        state: ended.state,
        exitCode: ended.exit_code,
        status,
        points: logged.size,
        interval: INTERVAL,
        elapsed: (Math.max(...times) - Math.min(...times)) / 1000,
        loadBefore,
        load,
        loadAfter: load1(),
        chart: page ? stat(chartLatency) : null,
        dom: page ? stat(domLatency) : null,
        afterRest: page ? stat(afterRest) : null,
        draws: shown.length,
        stepsShown: new Set(shown.map(o => o.step)).size,
        missingChart: page ? missingChart : null,
        rest: stat(restLatency),
        restPolls: rest.stats()
      };
      console.log(JSON.stringify(figures, null, 2));
      if (restLatency.length) {
        writeReadme(figures);
      }
    }
  );
}

function writeReadme(f) {
  const date = new Date().toISOString().slice(0, 10);
  const chartRows = f.chart
    ? [
        latencyRow(
          'Trackside: metric logged by the project run → point drawn in the panel’s chart',
          f.chart,
          `p95 ≤ 1.5 s (${verdict(f.chart.p95, 1500)})`
        ),
        latencyRow('of which: until the chart’s DOM is updated', f.dom, '—'),
        latencyRow(
          'of which: after MLflow had the point (drawn − first retrievable from `get-history`)',
          f.afterRest,
          '—'
        )
      ]
    : [
        '| Trackside: metric logged → point drawn in the panel’s chart | not measured (BENCH_REST_ONLY: no browser) | | | p95 ≤ 1.5 s |'
      ];
  writeSection(
    'Project metrics',
    `## Project metrics

\`node bench/project_metrics.mjs\`${f.chart ? '' : ' with `BENCH_REST_ONLY=1`'} (${date}; ${f.machine}; ${f.python}; JupyterLab with the embedded MLflow server on SQLite; load average ${f.loadBefore.toFixed(2)} before the run, ${f.load.toFixed(2)} at the start of the measurement, ${f.loadAfter.toFixed(2)} after).

The ticker project (\`bench/ticker_project\`, entry point \`metric\`) is ${f.chart ? 'opened in the project view and started with its **Run** button' : 'started with a POST to `/trackside/api/projects/executions`'} (\`mlflow run … --env-manager local\`, a supervised child of the Jupyter server,
logging to the embedded MLflow server). Its run logs step 0${f.chart ? `, the run's detail is opened in the Trackside panel from ${f.via} and its chart of \`tick\` drawn once` : ''};
then it logs ${f.points} points with \`mlflow.log_metric\`, one every ${f.interval * 1000} ms (${f.elapsed.toFixed(1)} s). The run is not in a
kernel, so there is no live comm stream${f.chart ? ': the run detail refreshes the run every 750 ms (`RunDetailModel.FOLLOW_REFRESH`) and reads the new points of the metrics that changed with incremental Arrow history reads (`start_step` after the last point)' : ''}. Latency of step i = ${f.chart ? 'the time the chart first shows it (its screen-reader summary, updated after each Plotly draw, observed with a MutationObserver, time taken at the next animation frame)' : 'the time it is first retrievable'} − the timestamp MLflow stored with the point (the
client's clock just before the call; same machine). In the same run, Node polled MLflow's REST
\`metrics/get-history\` back to back (${f.restPolls.polls} polls, ${Math.round(f.restPolls.meanPoll)} ms each on average) and recorded when each
step was first retrievable. The execution ended \`${f.state}\` (exit code ${f.exitCode}), the run \`${f.status}\`.

| what | p50 | p95 | max | target |
|---|---|---|---|---|
${chartRows.join('\n')}
${latencyRow('MLflow: metric logged → retrievable from `metrics/get-history` (the floor for MLflow’s UI)', f.rest, '—')}
| MLflow's UI: refreshes the run page every 30 s | + up to 30 s (15 s on average) | | | the alternative |
${f.missingChart ? `\n${f.missingChart} points were never shown by the chart.\n` : ''}${f.chart ? `\n${f.stepsShown} of the ${f.points} steps were each shown by a draw of their own (${f.draws} summary updates).\n` : ''}`
  );
}

main().catch(reason => {
  console.error(reason);
  process.exit(1);
});
