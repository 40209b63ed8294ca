/**
 * Project output benchmark (not a test): from a line written by an MLflow
 * Project run from JupyterLab to that line shown in the project view, in a
 * real JupyterLab with the embedded MLflow server, driven by Playwright in
 * Debian's chromium.
 *
 *   node bench/project_output.mjs      # writes the "Project output" section
 *                                      # of bench/README.md
 *
 * The ticker project (bench/ticker_project, entry point `lines`) is opened
 * in the project view and started with its Run button; it prints
 * "tick <i> <time.time()>" every BENCH_INTERVAL s (odd ticks on stdout,
 * even on stderr). In the page, a MutationObserver on the view's output
 * records when each tick's text enters the DOM and the next animation frame
 * (`Date.now()`, same machine clock). In the same run, Node reads the same
 * output with the output endpoint's long poll, as the view does: the REST
 * half of the path.
 *
 * Environment: BENCH_LINES (200), BENCH_INTERVAL (0.05 s), BENCH_PORT
 * (8933; MLflow on port - 3000), BENCH_NO_WAIT (skip waiting for a load
 * average <= 1.5), BENCH_REST_ONLY (no browser: start the run with a POST
 * and measure the REST half alone).
 */
import {
  latencyRow,
  load1,
  machine,
  openLab,
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

const LINES = Number(process.env.BENCH_LINES ?? 200);
const INTERVAL = Number(process.env.BENCH_INTERVAL ?? 0.05);
const PORT = Number(process.env.BENCH_PORT ?? 8933);
const REST_ONLY = !!process.env.BENCH_REST_ONLY;
const TICK = /^tick (\d+) (\d+\.\d+)$/;
const PARAMETERS = { count: String(LINES), interval: String(INTERVAL) };

/**
 * In the page: record when each tick first enters the project view's
 * output (`dom`) and the animation frame after it (`frame`).
 */
function observeOutput() {
  window.__benchTicks = {};
  const done = new WeakSet();
  const scan = () => {
    const dom = Date.now();
    const fresh = [];
    for (const chunk of document.querySelectorAll(
      '[role="log"] .jp-Trackside-ProjectOutputChunk'
    )) {
      const text = chunk.textContent ?? '';
      if (text && !done.has(chunk)) {
        done.add(chunk);
        for (const match of text.matchAll(/^tick (\d+) /gm)) {
          fresh.push(Number(match[1]));
        }
      }
    }
    if (fresh.length) {
      requestAnimationFrame(() => {
        const frame = Date.now();
        fresh.forEach(tick => {
          window.__benchTicks[tick] ??= { dom, frame };
        });
      });
    }
  };
  new MutationObserver(scan).observe(document.body, {
    childList: true,
    subtree: true,
    characterData: true
  });
}

async function main() {
  await withLab(
    'project-output',
    { port: PORT },
    async ({ lab, browser, work, loadBefore }) => {
      const projectDir = copyTickerProject(work);
      let page = null;
      let id;
      if (REST_ONLY) {
        id = (await startExecution(lab.base, 'lines', PARAMETERS)).id;
      } else {
        page = await openLab(browser, lab.base);
        const view = await openProjectView(page, 'lines');
        for (const [name, value] of Object.entries(PARAMETERS)) {
          await view.getByLabel(name, { exact: true }).fill(value);
        }
        await page.evaluate(observeOutput);
        await view.getByRole('button', { name: 'Run', exact: true }).click();
        id = (await waitForExecution(lab.base, e => e.entry_point === 'lines'))
          .id;
        await view
          .getByRole('log')
          .filter({ hasText: 'waiting for go' })
          .waitFor({ timeout: 180_000 });
      }

      const written = new Map();
      const arrived = new Map();
      const stop = { value: false };
      let waiting;
      const ready = new Promise(resolve => (waiting = resolve));
      const reader = followOutput(
        lab.base,
        id,
        (line, time) => {
          const match = TICK.exec(line.trim());
          if (match) {
            written.set(Number(match[1]), Number(match[2]) * 1000);
            arrived.set(Number(match[1]), time);
          } else if (line.trim() === 'waiting for go') {
            waiting();
          }
        },
        stop
      );
      await ready;
      await sleep(2000);
      const load = load1();
      go(projectDir);
      const execution = await waitForExecution(
        lab.base,
        e => e.id === id && !['queued', 'running'].includes(e.state),
        LINES * INTERVAL * 1000 + 120_000
      );
      await sleep(2000);
      stop.value = true;
      const reads = await reader;
      const times = [...written.values()];
      const elapsed = (Math.max(...times) - Math.min(...times)) / 1000;
      const shown = page ? await page.evaluate(() => window.__benchTicks) : {};

      const restLatency = [];
      const domLatency = [];
      const frameLatency = [];
      let missingView = 0;
      for (const [tick, time] of written) {
        restLatency.push(arrived.get(tick) - time);
        const seen = shown[tick];
        if (seen) {
          domLatency.push(seen.dom - time);
          frameLatency.push(seen.frame - time);
        } else {
          missingView++;
        }
      }
      const figures = {
        machine: browser ? machine(browser) : 'no browser',
        python: pythonVersion(),
        state: execution.state,
        exitCode: execution.exit_code,
        lines: LINES,
        written: written.size,
        interval: INTERVAL,
        elapsed,
        loadBefore,
        load,
        loadAfter: load1(),
        reads,
        rest: stat(restLatency),
        dom: page ? stat(domLatency) : null,
        frame: page ? stat(frameLatency) : null,
        missingView: page ? missingView : null
      };
      console.log(JSON.stringify(figures, null, 2));
      if (written.size) {
        writeReadme(figures);
      }
    }
  );
}

function writeReadme(f) {
  const date = new Date().toISOString().slice(0, 10);
  const viewRows = f.frame
    ? [
        latencyRow(
          'Trackside: line written → shown in the project view (next animation frame)',
          f.frame,
          `p95 ≤ 200 ms (${verdict(f.frame.p95, 200)})`
        ),
        latencyRow('of which: until the line is in the view’s DOM', f.dom, '—')
      ]
    : [
        '| Trackside: line written → shown in the project view | not measured (BENCH_REST_ONLY: no browser) | | | p95 ≤ 200 ms |'
      ];
  writeSection(
    'Project output',
    `## Project output

\`node bench/project_output.mjs\`${f.frame ? '' : ' with `BENCH_REST_ONLY=1`'} (${date}; ${f.machine}; ${f.python}; JupyterLab with the embedded MLflow server on SQLite; load average ${f.loadBefore.toFixed(2)} before the run, ${f.load.toFixed(2)} at the start of the measurement, ${f.loadAfter.toFixed(2)} after).

The ticker project (\`bench/ticker_project\`, entry point \`lines\`) is ${f.frame ? 'opened in the project view and started with its **Run** button' : 'started with a POST to `/trackside/api/projects/executions`'} (\`mlflow run … --env-manager local\`, a supervised child of
the Jupyter server). Once its output shows "waiting for go", it prints ${f.lines} lines
\`tick <i> <time.time()>\`, one every ${f.interval * 1000} ms (${f.elapsed.toFixed(1)} s), odd ticks on stdout,
even ones on stderr. Latency of line i = the time it is shown − the time written in it; same
machine clock.${f.frame ? ' In the page, a MutationObserver on the output records when the text enters the DOM, and the time is taken at the next animation frame.' : ''} In the same run, Node read the
same output the way the view does, with the output endpoint's long poll
(\`GET /trackside/api/projects/executions/<id>/output?offset=N&wait=5\`, ${f.reads} reads), and recorded when each line arrived.
The run ended \`${f.state}\` (exit code ${f.exitCode}); ${f.written} of ${f.lines} lines read back.

| what | p50 | p95 | max | target |
|---|---|---|---|---|
${viewRows.join('\n')}
${latencyRow('REST: line written → in an answer of the output endpoint', f.rest, '—')}
${f.missingView ? `\n${f.missingView} lines were not seen in the view.\n` : ''}`
  );
}

main().catch(reason => {
  console.error(reason);
  process.exit(1);
});
