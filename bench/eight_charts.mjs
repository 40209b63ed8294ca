/**
 * Eight live charts in one JupyterLab on the PostgreSQL team server (issue
 * 12, point 4), a benchmark (not a test): it measures and writes, it asserts
 * nothing.
 *
 *   node bench/eight_charts.mjs   # writes the "Team server: eight live
 *                                 # charts" section of bench/README.md
 *
 * `bench/team_server.py` starts PostgreSQL, moto's S3 and `mlflow server
 * --workers 4`; JupyterLab runs with `--Trackside.tracking_uri` set to it.
 * In one page, driven by Playwright in Debian's chromium: 8 notebooks, each
 * tracked ("Track" clicked in its own toolbar), each starting a run
 * `kernel-<i>` and logging 2 points of `x`; then the 8 runs are compared in
 * the Trackside panel (run checkboxes, "Compare (8)"), so one chart shows the
 * 8 live curves. Then all 8 kernels run `bench/eight_kernels.py`'s paced
 * loop at once (`mlflow.log_metric`, BENCH_RATE points/s each for
 * BENCH_SECONDS s, timestamp = the wall clock at the call).
 *
 * In the page, a MutationObserver on the chart's screen-reader summary
 * (rewritten after each Plotly draw, "kernel-3 … (step N)" per run) takes the
 * time at the next animation frame; every point of a run up to the step then
 * shown counts as drawn, its latency = that time - its logged timestamp
 * (read from the series store). The store's change signal times the same
 * points on their arrival in the browser, and a CPU profile of the page's
 * main thread shows where its time goes. Afterwards: each kernel's journal
 * drained (`durable.flush`), and the exact number of metric rows per run in
 * PostgreSQL against what the kernel logged.
 *
 * Environment: BENCH_KERNELS (8), BENCH_RATE (10000), BENCH_SECONDS (30),
 * BENCH_PORT (8914), BENCH_NO_WAIT (skip waiting for a load average <= 1.5),
 * BENCH_SERVER_AWAY (the MLflow server stopped while the loops run),
 * BENCH_REWRITE (a file holding the figures a run printed: only rewrite the
 * README section from them).
 */
import { execFileSync, spawn } from 'child_process';
import fs from 'fs';
import path from 'path';
import readline from 'readline';
import {
  classifyScript,
  cpuText,
  createTrackedNotebook,
  load1,
  machine,
  median,
  ms,
  openHealthyPanel,
  openLab,
  python,
  pythonVersion,
  repo,
  sleep,
  startProfile,
  verdict,
  withLab,
  writeSection
} from './lab.mjs';
import { PAGE_MAIN, between, ratio, schedTable, snapshot } from './sched.mjs';

const KERNELS = Number(process.env.BENCH_KERNELS ?? 8);
const RATE = Number(process.env.BENCH_RATE ?? 10_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const PORT = Number(process.env.BENCH_PORT ?? 8914);
// The MLflow server stopped (SIGSTOP) while the loops run: as if it were on a
// host of its own, as far as this machine's CPU goes. The journals keep every
// point and send them afterwards.
const AWAY = Boolean(process.env.BENCH_SERVER_AWAY);
const KEY = 'x';
const PRIMED = 2; // points of `x` each run has before the loop (steps 0, 1)
const runName = i => `kernel-${i}`;

// The kernel code, written once in bench/eight_kernels.py.
const [START, LOOP, FLUSH] = JSON.parse(
  execFileSync(
    python,
    [
      '-c',
      `import json, sys
from bench.eight_kernels import START, LOOP, FLUSH
rate, seconds, first = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
print(json.dumps([START, LOOP.format(rate=rate, seconds=seconds, first=first), FLUSH]))`,
      String(RATE),
      String(SECONDS),
      String(PRIMED)
    ],
    { cwd: repo }
  ).toString()
);
const PRIME = `for s in range(${PRIMED}):
    mlflow.log_metric(${JSON.stringify(KEY)}, 0.0, step=s)
`;

/**
 * The team server (bench/team_server.py): its URL, the pids of the daemons
 * it started (`daemons`), `away(flag)`, `rows(runIds)` (exact metric rows
 * per run in PostgreSQL) and `stop()`.
 */
async function startTeamServer() {
  const child = spawn(python, [path.join(repo, 'bench', 'team_server.py')], {
    cwd: repo,
    stdio: ['pipe', 'pipe', 'inherit']
  });
  const lines = readline
    .createInterface({ input: child.stdout })
    [Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) {
      throw new Error('bench/team_server.py ended');
    }
    return JSON.parse(value);
  };
  const { url, daemons } = await next();
  return {
    url,
    daemons,
    /** Stop the MLflow server's processes (SIGSTOP), or let them go on. */
    async away(flag) {
      child.stdin.write(`${JSON.stringify({ away: flag })}\n`);
      return next();
    },
    async rows(runIds) {
      child.stdin.write(`${JSON.stringify(runIds)}\n`);
      return next();
    },
    async stop() {
      const ended = new Promise(resolve => child.once('exit', resolve));
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGTERM'), 60_000);
      await ended;
      clearTimeout(timer);
    }
  };
}

/**
 * In the page: record, for every point of `key` of the runs logged after
 * this call, when the compare chart first drew it (window.__bench.drawn)
 * and when it reached the series store (window.__bench.stored, at the
 * store's change signal, an animation frame): latencies in 1 ms bins.
 */
async function observeChart(chart, { runIds, names, key }) {
  await chart.evaluate(
    async (node, { runIds, names, key }) => {
      const summary = document.getElementById(
        node.getAttribute('aria-describedby')
      );
      const mod = (
        await window._JUPYTERLAB['jupyterlab-trackside'].get('./index')
      )();
      const store = await window.jupyterapp.resolveRequiredService(
        mod.ISeriesStore
      );
      const runOf = new Map(names.map((name, i) => [name, runIds[i]]));
      // The first index of a sorted array holding a value > `value`.
      const after = (values, value) => {
        let low = 0;
        let high = values.length;
        while (low < high) {
          const mid = (low + high) >> 1;
          if (values[mid] <= value) {
            low = mid + 1;
          } else {
            high = mid;
          }
        }
        return low;
      };
      // Points already in the store (the primed steps) are not measured.
      const lastSteps = () =>
        Object.fromEntries(
          runIds.map(id => {
            const series = store.get(id, key);
            return [id, series?.length ? series.steps[series.length - 1] : -1];
          })
        );
      const meter = () => ({
        bins: new Uint32Array(120_000), // 1 ms bins up to 2 min
        beyond: 0,
        perRun: Object.fromEntries(runIds.map(id => [id, 0])),
        counted: lastSteps(),
        // Every point of `runId` up to `step` counts as reached at `time`.
        reach(runId, step, time) {
          const series = store.get(runId, key);
          if (!series || step <= this.counted[runId]) {
            return;
          }
          const end = after(series.steps, step);
          let i = after(series.steps, this.counted[runId]);
          this.perRun[runId] += end - i;
          for (; i < end; i++) {
            const latency = Math.round(time - series.timestamps[i]);
            if (latency >= 0 && latency < this.bins.length) {
              this.bins[latency]++;
            } else {
              this.beyond++;
            }
          }
          this.counted[runId] = step;
        }
      });
      const bench = {
        drawn: meter(),
        stored: meter(),
        draws: 0,
        longTasks: []
      };
      window.__bench = bench;
      const pattern = /(kernel-\d+) [^,;]*?\(step (\d+)\)/g;
      new MutationObserver(() =>
        requestAnimationFrame(() => {
          const time = Date.now();
          bench.draws++;
          for (const [, name, step] of summary.textContent.matchAll(pattern)) {
            if (runOf.has(name)) {
              bench.drawn.reach(runOf.get(name), Number(step), time);
            }
          }
        })
      ).observe(summary, {
        childList: true,
        characterData: true,
        subtree: true
      });
      store.changed.connect((_, change) => {
        if (change.key === key && change.runId in bench.stored.counted) {
          const series = store.get(change.runId, key);
          const last = series.steps[series.length - 1];
          bench.stored.reach(change.runId, last, Date.now());
        }
      });
      new PerformanceObserver(list => {
        for (const entry of list.getEntries()) {
          bench.longTasks.push(entry.duration);
        }
      }).observe({ type: 'longtask' });
    },
    { runIds, names, key }
  );
}

/**
 * A meter's figures: points reached, p50, p95, max (ms), per run.
 */
function meterFigures({ bins, beyond, perRun }) {
  const reached = bins.reduce((n, count) => n + count, 0) + beyond;
  const q = share => binQuantile(bins, reached, share);
  return {
    reached,
    p50: q(0.5),
    p95: q(0.95),
    max: beyond ? Infinity : q(1),
    beyond,
    perRun
  };
}

/**
 * Self times keyed "category\tfunction file": per category, and the 12
 * busiest functions (with their category).
 */
function splitProfile(self) {
  const cpu = {};
  for (const [key, time] of Object.entries(self)) {
    const category = key.split('\t')[0];
    cpu[category] = (cpu[category] ?? 0) + time;
  }
  const functions = Object.entries(self)
    .filter(([key]) => !key.startsWith('(idle)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)
    .map(([key, time]) => `${key.replace('\t', ': ')} ${Math.round(time)} ms`);
  return { cpu, functions };
}

/**
 * The p-quantile of the latencies in 1 ms bins.
 */
function binQuantile(bins, total, q) {
  const rank = Math.min(total - 1, Math.floor(q * total));
  let seen = 0;
  for (let ms = 0; ms < bins.length; ms++) {
    seen += bins[ms];
    if (seen > rank) {
      return ms;
    }
  }
  return Infinity;
}

async function main() {
  if (process.env.BENCH_REWRITE) {
    // The README section again from a run's printed figures (prose changes).
    writeReadme(JSON.parse(fs.readFileSync(process.env.BENCH_REWRITE, 'utf8')));
    return;
  }
  const team = await startTeamServer();
  try {
    await withLab(
      'eight',
      { port: PORT, args: [`--Trackside.tracking_uri=${team.url}`] },
      async ({ lab, browser, loadBefore }) =>
        measure({ lab, browser, loadBefore, team })
    );
  } finally {
    await team.stop();
  }
}

async function measure({ lab, browser, loadBefore, team }) {
  const page = await openLab(browser, lab.base);
  const panel = await openHealthyPanel(page);
  const runIds = [];
  const names = [];
  for (let i = 0; i < KERNELS; i++) {
    const index = await createTrackedNotebook(page);
    const code = START.replace('{index}', String(i)) + PRIME;
    const out = await page.evaluate(
      ([n, c]) => window.__benchCellIn(n, c),
      [index, code]
    );
    runIds.push(out.trim().split('\n').pop());
    names.push(runName(i));
    console.log(`notebook ${i}: run ${runIds[i]}`);
  }

  // Compare the 8 runs: one chart of `x` with 8 curves.
  const experiment = panel.getByRole('button', {
    name: 'Default',
    exact: true
  });
  await experiment.waitFor({ timeout: 60_000 });
  if ((await experiment.getAttribute('aria-expanded')) !== 'true') {
    await experiment.click();
  }
  const table = panel.getByRole('table', { name: 'Runs of Default' });
  for (const name of names) {
    await table
      .getByRole('checkbox', { name: `Select ${name} for comparison` })
      .check({ timeout: 60_000 });
  }
  await panel.getByRole('button', { name: `Compare (${KERNELS})` }).click();
  const chart = panel
    .getByRole('region', { name: `Comparison of ${KERNELS} runs` })
    .getByRole('figure', { name: `Chart of ${KEY}` });
  await chart
    .locator('.jp-Trackside-ChartSummary', {
      hasText: `${KERNELS} runs; last values`
    })
    .waitFor({ timeout: 120_000 });
  await sleep(1000);
  await observeChart(chart, { runIds, names, key: KEY });

  // Self time per script category and per function: where the page's time goes.
  const profile = await startProfile(
    page,
    (url, name) =>
      `${classifyScript(url, name)}\t${name || '(anonymous)'} ${url.split('/').pop()}`
  );
  const load = load1();
  if (AWAY) {
    await team.away(true);
  }
  const schedBefore = snapshot(team.daemons);
  const began = Date.now();
  // All loops at once; each resolves when its kernel's cell is done.
  await page.evaluate(
    ([count, code]) =>
      Promise.all(
        Array.from({ length: count }, (_, i) => window.__benchExecIn(i, code))
      ),
    [KERNELS, LOOP]
  );
  const elapsed = (Date.now() - began) / 1000;
  await sleep(3000); // the last coalesced messages and draws
  const loadAfterLoops = load1();
  const sched = between(schedBefore, snapshot(team.daemons));
  const measured = (Date.now() - began) / 1000;
  if (AWAY) {
    await team.away(false);
  }
  const { cpu, functions } = splitProfile(await profile.stop());
  // What the last draw drew: traces (each run's line and envelope), points.
  const traces = await chart.evaluate(node =>
    node.querySelector('.js-plotly-plot').data.map(trace => trace.x.length)
  );
  const bench = await page.evaluate(() => ({
    drawn: {
      ...window.__bench.drawn,
      bins: Array.from(window.__bench.drawn.bins)
    },
    stored: {
      ...window.__bench.stored,
      bins: Array.from(window.__bench.stored.bins)
    },
    draws: window.__bench.draws,
    longTasks: window.__bench.longTasks
  }));
  const loops = [];
  const drains = [];
  for (let i = 0; i < KERNELS; i++) {
    const loop = await page.evaluate(
      n => window.__benchExecIn(n, 'print(json.dumps(_last_loop))'),
      i
    );
    loops.push(JSON.parse(loop.trim().split('\n').pop()));
  }
  for (let i = 0; i < KERNELS; i++) {
    const drain = await page.evaluate(
      ([n, code]) => window.__benchExecIn(n, code),
      [i, FLUSH]
    );
    drains.push(JSON.parse(drain.trim().split('\n').pop()));
  }
  const rows = await team.rows(runIds);

  const drawn = meterFigures(bench.drawn);
  const stored = meterFigures(bench.stored);
  const perKernel = runIds.map((runId, i) => ({
    run: names[i],
    logged: loops[i].logged,
    rate: loops[i].logged / loops[i].loop_s,
    drawn: drawn.perRun[runId],
    stored: stored.perRun[runId],
    inPostgres: rows[runId] - PRIMED,
    exact: rows[runId] === loops[i].logged + PRIMED,
    drainS: drains[i].drain_s
  }));
  const figures = {
    date: new Date().toISOString().slice(0, 10),
    machine: machine(browser),
    python: pythonVersion(),
    away: AWAY,
    kernels: KERNELS,
    rate: RATE,
    seconds: SECONDS,
    elapsed,
    loadBefore,
    load,
    loadAfterLoops,
    loadAfter: load1(),
    perKernel,
    logged: perKernel.reduce((n, k) => n + k.logged, 0),
    inPostgres: perKernel.reduce((n, k) => n + k.inPostgres, 0),
    allExact: perKernel.every(k => k.exact),
    drawn,
    stored,
    draws: bench.draws,
    traces: traces.length,
    tracePoints: traces.reduce((n, length) => n + length, 0),
    cpu,
    functions,
    sched,
    measured,
    longTasks: {
      count: bench.longTasks.length,
      max: Math.max(0, ...bench.longTasks),
      total: bench.longTasks.reduce((n, t) => n + t, 0)
    }
  };
  console.log(JSON.stringify(figures, null, 2));
  if (KERNELS === 8 && RATE === 10_000 && SECONDS === 30) {
    writeReadme(figures);
  }
}

/** What the page's main thread's run and wait times say. */
function pageText(page, seconds) {
  const share = Math.round((100 * page.run) / seconds);
  return page.wait > page.run
    ? `The page's main thread waited ${ratio(page)}× as long as it ran (it ran
${share} % of the time): its draws and the stream's messages queue behind the
other processes more than behind the page's own work.`
    : `The page's main thread ran ${share} % of the time and waited ${ratio(page)}× as
long as it ran: its own work (the draws above all) is what the stream's
messages queue behind.`;
}

const TEAM_PARTS = ['MLflow server', 'PostgreSQL', 'S3 (moto)'];
const onCpu = (sched, parts = Object.keys(sched)) =>
  parts.reduce((sum, part) => sum + (sched[part]?.run ?? 0), 0);

const maxText = meter =>
  Number.isFinite(meter.max) ? ms(meter.max) : '> 2 min';

function writeReadme(f) {
  const thousands = n => Math.round(n).toLocaleString('en-US');
  const range = values =>
    `${thousands(Math.min(...values))} – ${thousands(Math.max(...values))}`;
  const rates = f.perKernel.map(k => k.rate);
  const title = f.away
    ? 'Team server: eight live charts, the MLflow server on a host of its own'
    : 'Team server: eight live charts in one JupyterLab';
  writeSection(
    title,
    `## ${title}

\`${f.away ? 'BENCH_SERVER_AWAY=1 ' : ''}node bench/eight_charts.mjs\` (${f.date}; ${f.machine}; ${f.python}; load average ${f.loadBefore.toFixed(2)} before the run, ${f.load.toFixed(2)} when the loops started, ${f.loadAfterLoops.toFixed(2)} when they ended).

${f.away ? AWAY_TEXT : ''}JupyterLab with \`--Trackside.tracking_uri\` set to the PostgreSQL + S3 +
\`mlflow server --workers 4\` team server of "Team server: eight kernels at once", in one
chromium page: 8 notebooks, each tracked with its own "Track" button, each
in a run of its own; the Trackside panel compares the 8 runs, so one chart
draws the 8 live curves. All 8 kernels then run that section's
paced loop at once (\`mlflow.log_metric\`, ${thousands(f.rate)} points/s each for
${f.seconds} s; ${f.elapsed.toFixed(1)} s until the last cell finished). Latency
of a point = the animation frame after the chart's screen-reader summary first
shows its step or a later one for its run − the timestamp it was logged with
(the wall clock at the call); every point the browser received counts.

| what | figure | target |
|---|---|---|
| log call → point drawn in the compare chart, all ${thousands(f.drawn.reached)} points | p50 **${ms(f.drawn.p50)}**, p95 **${ms(f.drawn.p95)}**, max ${maxText(f.drawn)} | p50 ≤ 50 ms (${verdict(f.drawn.p50, 50)}), p95 ≤ 150 ms (${verdict(f.drawn.p95, 150)}) |
| of which: log call → point in the browser's series store (kernel → comm → Jupyter server → WebSocket → Arrow decode, at an animation frame) | p50 ${ms(f.stored.p50)}, p95 ${ms(f.stored.p95)}, max ${maxText(f.stored)} | — |
| points logged (8 runs) | ${thousands(f.logged)} (${range(f.perKernel.map(k => k.logged))} per kernel) | — |
| points drawn in the browser within 3 s of the loops' end | ${thousands(f.drawn.reached)} (${range(f.perKernel.map(k => k.drawn))} per run) | every point logged |
| in PostgreSQL, per run | ${f.allExact ? '**exactly what each kernel logged, 8 of 8 runs; 0 lost**' : `**not exact**: ${f.perKernel.filter(k => !k.exact).length} runs differ`} | 0 lost, 0 twice |
| rate each kernel reached | ~${thousands(median(rates))} points/s (median; ${range(rates)}) | 10,000 points/s |
| chart draws from the start of the loops until 3 s after | ${thousands(f.draws)}; the last drew ${f.traces} traces (each run's line and min/max envelope), ${thousands(f.tracePoints)} points | — |
| page's long tasks (> 50 ms) | ${f.longTasks.count}, longest ${ms(f.longTasks.max)}, ${ms(f.longTasks.total)} in all | — |
| each journal drained after the loops, longest | ${Math.max(...f.perKernel.map(k => k.drainS)).toFixed(1)} s | — |

The page's main thread from the start of the loops until 3 s after the last
(CPU profile, self time with native calls counted for the script that made
them): ${cpuText(f.cpu)}. Busiest functions: ${f.functions.join('; ')}.
The profiler samples on the wall clock: a function whose thread waits for a
CPU keeps its samples, so these times include the waits below.

The same ${f.measured.toFixed(1)} s from the kernel's scheduler statistics
(\`bench/sched.mjs\`: per thread, the time it ran on a CPU and the time it
was ready to run but waited for one, summed per part; 2 cores give
${(2 * f.measured).toFixed(1)} CPU-seconds, of which ${onCpu(f.sched).toFixed(1)} were used; the
team server's MLflow, PostgreSQL and S3, which a team runs on a host of its
own, used ${onCpu(f.sched, TEAM_PARTS).toFixed(1)}). ${pageText(f.sched[PAGE_MAIN], f.measured)}

${schedTable(f.sched)}

${f.away ? '' : HISTORY_TEXT}`
  );
}

const AWAY_TEXT = `"Team server: eight live charts in one JupyterLab" again, with the MLflow server's processes
stopped (SIGSTOP) from just before the loops until 3 s after them: a stand-in
for a team server on a host of its own, as far as this machine's CPU goes
(the kernels' senders mostly wait on the stopped server here, so their work of
sending is not counted either). The kernels' journals keep every point and
send it when the server goes on: the drain and PostgreSQL rows below.

`;

const HISTORY_TEXT = `Before charts rested after a slow draw (8f680e7), the first run of this
benchmark (2026-12-04, load average 0.94 before, 12.41 when the loops
ended) drew points p50 14,147 ms and p95 19,147 ms after they were logged:
the chart redrew back to back (83 draws, 35 s of long tasks in 43 s) and the
stream's messages waited behind the draws. Runs since vary with the load the
machine starts from: the first full run after 8f680e7 (load average 2.42
when the loops started) drew points p50 2,014 ms and p95 4,630 ms after they
were logged (store p50 1,080 ms, p95 2,807 ms).
`;

main().catch(reason => {
  console.error(reason);
  process.exit(1);
});
