/**
 * Time to see a point (issue 13, bench/peers): from the logging call to the
 * point shown in each tool's own UI, at the UI's default settings, in
 * headless Debian chromium.
 *
 *   node bench/peers/see.mjs [--tools trackside,mlflow_sync,...] [--quick]
 *
 * writes .bench/peers/see.json ({measure: "see", tools: {key: {status,
 * median_ms, p95_ms, samples, how}}}); `python -m bench.peers --only see`
 * runs it. Tools measured in an earlier run and not in --tools are kept.
 *
 * Each tool's page is open at its default view of the run's `loss` chart
 * (the run has a first point already) before anything is timed. Then the
 * logging process logs points with unique values at random intervals
 * (about one poll period apart, so the log times fall at random phases of
 * the UI's polling), taking t0 = time.time() right before the logging
 * call. A point is seen:
 * - Trackside (JupyterLab panel, bench/lab.mjs): when the chart's
 *   screen-reader summary, rewritten after each Plotly draw, names its step
 *   (MutationObserver, Date.now() at the next animation frame);
 * - peers (canvas/SVG charts): when a response of the UI's own data request
 *   contains the value (Playwright's page.on('response'), body read), then
 *   Date.now() at the page's next animation frame, when the chart it feeds
 *   is drawn.
 * Latency = seen − t0 on the same machine clock. The peer's kernel and UI
 * are started by bench/peers/see.py and ui_servers.py; W&B offline has no
 * local UI.
 *
 * Environment: BENCH_SEE_SAMPLES (15; 10 with --quick), BENCH_SEE_PORT
 * (8951: Trackside's JupyterLab, its MLflow on port − 3000).
 */
import { spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import readline from 'readline';
import {
  launchBrowser,
  load1,
  median,
  openLiveChart,
  python,
  quantile,
  repo,
  sleep,
  withLab,
  workDir
} from '../lab.mjs';

const ALL = [
  'trackside',
  'mlflow_sync',
  'mlflow_async',
  'trackio',
  'wandb',
  'tensorboard',
  'aim'
];
const NO_UI = {
  wandb:
    'W&B offline mode has no local UI: offline runs are seen only after `wandb sync` uploads them to a W&B server'
};
const KEY = 'loss';
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.includes('--tools')
  ? args[args.indexOf('--tools') + 1].split(',')
  : ALL;
const SAMPLES = Number(process.env.BENCH_SEE_SAMPLES ?? (quick ? 10 : 15));
const PORT = Number(process.env.BENCH_SEE_PORT ?? 8951);
// The other helpers' benches share this machine: measure under the load there is, and say it.
process.env.BENCH_NO_WAIT ??= '1';

/**
 * Per peer: which of its UI's responses carry chart data, the mean gap
 * between logged points (about the UI's refresh period) and how long to
 * wait for the last point.
 */
const PEERS = {
  mlflow_sync: {
    data: /\/graphql|get-history/,
    gap: 8000,
    tail: 75_000,
    ui: 'MLflow UI (`mlflow server`), run page, "Model metrics" tab'
  },
  mlflow_async: {
    data: /\/graphql|get-history/,
    gap: 8000,
    tail: 75_000,
    ui: 'MLflow UI (`mlflow server`), run page, "Model metrics" tab'
  },
  trackio: {
    data: /\/api\//,
    gap: 1000,
    tail: 30_000,
    ui: 'Trackio dashboard (`trackio.show()`), project view'
  },
  tensorboard: {
    data: /timeSeries|scalars/,
    gap: 5000,
    tail: 240_000,
    ui: 'TensorBoard (`tensorboard --logdir`), default Time Series dashboard'
  },
  aim: {
    data: /\/api\/runs\//,
    gap: 3000,
    tail: 60_000,
    ui: 'Aim UI (`aim up`), run page, Metrics tab'
  }
};

/** The value logged at sample i: unique, exact in float32, found as text. */
const valueOf = i => 6000 + i + 0.375;
const valueText = i => String(valueOf(i));
const jitter = gap => gap * (0.5 + Math.random());

function summary(latencies, how) {
  return {
    status: 'ok',
    median_ms: Math.round(median(latencies)),
    p95_ms: Math.round(quantile(latencies, 0.95)),
    samples: latencies.length,
    how
  };
}

/** Which tools cannot be imported (bench.peers.tools' own check). */
function missingTools(keys) {
  const code = `
import json, sys
from bench.peers.tools import TOOLS
print(json.dumps({k: TOOLS[k].missing() for k in sys.argv[1:] if k in TOOLS}))
`;
  return new Promise(resolve => {
    const child = spawn(python, ['-c', code, ...keys], { cwd: repo });
    let out = '';
    child.stdout.on('data', data => (out += data));
    child.stderr.on('data', data => process.stderr.write(data));
    child.on('close', () => {
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()));
      } catch {
        resolve({});
      }
    });
  });
}

// --- Trackside: the panel in a real JupyterLab ---------------------------------------------

const START_RUN = `
import json, time
import mlflow
mlflow.set_experiment("peers-see")
see_run = mlflow.start_run(run_name="see-" + time.strftime("%H%M%S"))
mlflow.log_metric(${JSON.stringify(KEY)}, 0.375, step=0)
print(json.dumps([see_run.info.run_id, see_run.info.run_name]))
`;

async function measureTrackside() {
  return await withLab(
    'see-trackside',
    { port: PORT },
    async ({ lab, browser }) => {
      const { page, chart } = await openLiveChart(browser, lab.base, {
        startCode: START_RUN,
        experiment: 'peers-see',
        key: KEY
      });
      await chart
        .locator('.jp-Trackside-ChartSummary', { hasText: '(step 0)' })
        .waitFor({ timeout: 60_000 });
      await sleep(1000);
      await chart.evaluate(node => {
        const text = document.getElementById(
          node.getAttribute('aria-describedby')
        );
        window.__seeShown = [];
        new MutationObserver(() => {
          const match = /\(step (\d+)\)/.exec(text.textContent);
          if (match) {
            requestAnimationFrame(() =>
              window.__seeShown.push({
                step: Number(match[1]),
                time: Date.now()
              })
            );
          }
        }).observe(text, {
          childList: true,
          characterData: true,
          subtree: true
        });
      });
      const t0 = [];
      for (let i = 1; i <= SAMPLES; i++) {
        await sleep(jitter(1000));
        const code = `_see_t0 = time.time()
mlflow.log_metric(${JSON.stringify(KEY)}, ${valueOf(i)}, step=${i})
print(repr(_see_t0))`;
        t0.push(Number(await page.evaluate(c => window.__benchExec(c), code)));
      }
      await sleep(3000);
      const shown = await page.evaluate(() => window.__seeShown);
      await page.evaluate(() => window.__benchExec('mlflow.end_run()'));
      const latencies = [];
      t0.forEach((t, index) => {
        const hit = shown.find(o => o.step >= index + 1);
        if (hit) {
          latencies.push(hit.time - t * 1000);
        }
      });
      if (latencies.length < t0.length) {
        throw new Error(
          `${t0.length - latencies.length} of ${t0.length} points never shown`
        );
      }
      return summary(
        latencies,
        `Trackside panel in JupyterLab (Track on, run detail open, default settings): ` +
          `mlflow.log_metric in the tracked notebook's kernel (t0 = time.time() before the call) ` +
          `to the chart's screen-reader summary, rewritten after each Plotly draw, naming the ` +
          `point's step (MutationObserver, Date.now() at the next animation frame); ` +
          `points ~1 s apart`
      );
    }
  );
}

// --- peers: their own UI, fed by a kernel of bench/peers/tools.py ---------------------------

/** bench/peers/see.py as a child: one JSON line per request, in order. */
function startLogger(key, work) {
  const child = spawn(python, ['-m', 'bench.peers.see', key, work], {
    cwd: repo,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true
  });
  const log = fs.createWriteStream(path.join(work, 'see-py.log'));
  child.stderr.pipe(log);
  const lines = readline.createInterface({ input: child.stdout });
  const waiting = [];
  const queued = [];
  lines.on('line', line => {
    if (!line.startsWith('{')) {
      return;
    }
    const message = JSON.parse(line);
    const next = waiting.shift();
    next ? next(message) : queued.push(message);
  });
  const exited = new Promise(resolve => child.on('exit', resolve));
  const next = (timeout = 600_000) =>
    Promise.race([
      queued.length
        ? Promise.resolve(queued.shift())
        : new Promise(resolve => waiting.push(resolve)),
      exited.then(code => {
        throw new Error(
          `see.py ${key} exited (${code}): ${fs.readFileSync(path.join(work, 'see-py.log'), 'utf8').slice(-1500)}`
        );
      }),
      sleep(timeout).then(() => {
        throw new Error(`see.py ${key}: no answer in ${timeout / 1000} s`);
      })
    ]);
  return {
    next,
    send: message => child.stdin.write(JSON.stringify(message) + '\n'),
    async stop() {
      child.stdin.end();
      const gone = await Promise.race([exited.then(() => true), sleep(90_000)]);
      if (!gone) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
    }
  };
}

/** The first time a data response containing each awaited value was read. */
function watchResponses(page, data) {
  const awaited = new Map(); // value text -> sample
  const seen = new Map(); // sample -> Date.now() at the next animation frame
  let responses = 0;
  const paths = new Set(); // where the values were found
  page.on('response', async response => {
    if (!data.test(response.url()) || !awaited.size) {
      return;
    }
    let body;
    try {
      body = await response.text();
    } catch {
      return; // a redirect, or the page went away
    }
    responses++;
    const found = [...awaited].filter(([text]) =>
      new RegExp(`(^|[^0-9.])${text.replace('.', '\\.')}([^0-9]|$)`).test(body)
    );
    if (!found.length) {
      return;
    }
    let time;
    try {
      time = await page.evaluate(
        () =>
          new Promise(resolve =>
            requestAnimationFrame(() => resolve(Date.now()))
          )
      );
    } catch {
      return;
    }
    paths.add(new URL(response.url()).pathname);
    for (const [text, sample] of found) {
      if (!seen.has(sample)) {
        seen.set(sample, time);
        awaited.delete(text);
      }
    }
  });
  return { awaited, seen, paths, responses: () => responses };
}

async function measurePeer(browser, key) {
  const peer = PEERS[key];
  const work = workDir(`see-${key}`);
  const logger = startLogger(key, work);
  let context;
  try {
    const { page: url, settings } = await logger.next();
    context = await browser.newContext({
      viewport: { width: 1280, height: 900 }
    });
    const page = await context.newPage();
    const watch = watchResponses(page, peer.data);
    // The default view, showing the run's first points (0.375 at step 0) before anything is timed.
    watch.awaited.set('0.375', 0);
    await page.goto(url);
    for (let wait = 0; !watch.seen.has(0); wait++) {
      if (wait === 120) {
        throw new Error(`${url} never showed the run's first point`);
      }
      await sleep(1000);
    }
    await sleep(2000);
    const t0 = new Map();
    const started = Date.now();
    for (let i = 1; i <= SAMPLES; i++) {
      await sleep(jitter(peer.gap));
      watch.awaited.set(valueText(i), i);
      logger.send({ step: 10 + i, value: valueOf(i) });
      t0.set(i, (await logger.next()).t0 * 1000);
    }
    const deadline = Date.now() + peer.tail;
    while (watch.seen.size < SAMPLES + 1 && Date.now() < deadline) {
      await sleep(500);
    }
    const latencies = [...t0]
      .filter(([i]) => watch.seen.has(i))
      .map(([i, t]) => watch.seen.get(i) - t);
    const unseen = SAMPLES - latencies.length;
    if (unseen === SAMPLES) {
      // Is the data there and the page just not refreshing? Reload it as a user would.
      const waited = Math.round((Date.now() - started) / 1000);
      await page.reload();
      const reloaded = Date.now() + 60_000;
      while (watch.seen.size < SAMPLES + 1 && Date.now() < reloaded) {
        await sleep(500);
      }
      const afterReload = watch.seen.size - 1;
      return {
        status: 'not-applicable',
        reason:
          `never shown at the default settings (${settings}): none of ${SAMPLES} points ` +
          `appeared in ${peer.ui} during ${waited} s of logging and waiting; after a manual ` +
          `page reload ${afterReload} of ${SAMPLES} were shown`,
        shown_without_reload: 0,
        samples: SAMPLES,
        shown_after_reload: afterReload
      };
    }
    return {
      ...summary(
        latencies,
        `${peer.ui}, ${settings}: the tool's logging call in a kernel (t0 = time.time() before ` +
          `the call) to the first response of the UI's own chart-data request ` +
          `(${[...watch.paths].join(', ')}) whose body holds the value, plus the next animation frame; ` +
          `points ~${peer.gap / 1000} s apart at random phases` +
          (unseen
            ? `; ${unseen} of ${SAMPLES} not shown within ${peer.tail / 1000} s`
            : '')
      )
    };
  } finally {
    await context?.close();
    await logger.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

// --- the run ---------------------------------------------------------------------------------

async function main() {
  const keys = ALL.filter(key => only.includes(key));
  const missing = await missingTools(keys);
  const results = {};
  const loads = [load1()];
  let version = '';
  for (const key of keys) {
    const started = Date.now();
    try {
      if (NO_UI[key]) {
        results[key] = { status: 'not-applicable', reason: NO_UI[key] };
      } else if (missing[key]) {
        results[key] = { status: 'missing', reason: missing[key] };
      } else if (key === 'trackside') {
        results[key] = await measureTrackside();
      } else {
        const browser = await launchBrowser();
        version = browser.version();
        try {
          results[key] = await measurePeer(browser, key);
        } finally {
          await browser.close();
        }
      }
    } catch (error) {
      results[key] = {
        status: 'failed',
        reason: String(error?.message ?? error).slice(0, 500)
      };
    }
    loads.push(load1());
    console.log(
      `${key} (${Math.round((Date.now() - started) / 1000)} s):`,
      JSON.stringify(results[key])
    );
  }
  write(results, version, loads);
}

function write(results, version, loads) {
  const dir = path.join(repo, '.bench', 'peers');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'see.json');
  let previous = {};
  try {
    previous = JSON.parse(fs.readFileSync(file, 'utf8')).tools ?? {};
  } catch {
    // first run
  }
  const load = Math.max(...loads).toFixed(1);
  const out = {
    measure: 'see',
    date: new Date().toISOString().slice(0, 10),
    machine: `${os.machine()}, ${os.cpus().length} cores, Debian chromium ${version || '(not started)'}, load ${load}`,
    tools: { ...previous, ...results }
  };
  fs.writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
  console.log(`wrote ${file}`);
}

main().then(
  // Not waiting for the timers of answers that no longer matter.
  () => process.exit(0),
  reason => {
    console.error(reason);
    process.exit(1);
  }
);
