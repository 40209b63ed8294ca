/**
 * Shared steps of the Playwright benchmarks (live_latency, stream_throughput,
 * history_render, runs_table, startup): start a real JupyterLab with
 * Trackside and its embedded MLflow server, drive it with
 * Playwright in Debian's chromium, run code in a tracked notebook, wait for a
 * quiet machine, write a section of bench/README.md and stop everything that
 * was started.
 */
import { execFileSync, spawn } from 'child_process';
import fs from 'fs';
import { createRequire } from 'module';
import os from 'os';
import path from 'path';
import { fileURLToPath } from 'url';

export const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, '..');
const bin = path.join(repo, '.venv', 'bin');
export const python = path.join(bin, 'python');
const require = createRequire(path.join(repo, 'ui-tests', 'package.json'));
const { chromium } = require('@playwright/test');

export const sleep = time => new Promise(resolve => setTimeout(resolve, time));

// The embedded MLflow server of each lab started here -> its state folder. The server
// wants the random login its Jupyter server made (trackside/server/embedded_auth.py).
const mlflowStates = new Map();

/**
 * fetch() from an embedded MLflow server started by startLab, logged in as its
 * Jupyter server and kernels are (the credentials file in its state folder).
 */
export function mlflowFetch(url, options = {}) {
  const { origin, port } = new URL(url);
  const state = mlflowStates.get(origin);
  const headers = { ...(options.headers ?? {}) };
  if (state) {
    const file = path.join(state, 'mlflow-auth', port, 'credentials.json');
    const { username, password } = JSON.parse(fs.readFileSync(file, 'utf8'));
    const login = Buffer.from(`${username}:${password}`).toString('base64');
    headers.Authorization = `Basic ${login}`;
  }
  return fetch(url, { ...options, headers });
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/**
 * A latency in whole milliseconds, and whether a target was met.
 */
export const ms = value => `${Math.round(value)} ms`;
export const verdict = (value, target) => (value <= target ? 'met' : 'missed');

/**
 * A README table row: what, p50, p95 (bold), max, target.
 */
export const latencyRow = (what, s, target) =>
  `| ${what} | ${ms(s.p50)} | **${ms(s.p95)}** | ${ms(s.max)} | ${target} |`;

/**
 * Poll MLflow's get-history back to back: the first time each step of
 * `key` is seen (the floor for anything MLflow's UI could show), until
 * `stop.value` or `until` steps were seen.
 */
export function pollHistory(mlflow, runId, key, stop, until = Infinity) {
  const seen = new Map();
  const url = `${mlflow}/api/2.0/mlflow/metrics/get-history?run_id=${runId}&metric_key=${key}`;
  let polls = 0;
  let busy = 0;
  const done = (async () => {
    while (!stop.value) {
      const start = Date.now();
      const data = await (await mlflowFetch(url)).json();
      const now = Date.now();
      polls++;
      busy += now - start;
      for (const metric of data.metrics ?? []) {
        if (!seen.has(metric.step)) {
          seen.set(metric.step, now);
        }
      }
      if (seen.size >= until) {
        break;
      }
    }
  })();
  return { seen, done, stats: () => ({ polls, meanPoll: busy / polls }) };
}

/**
 * The 1-minute load average.
 */
export const load1 = () => os.loadavg()[0];

/**
 * Before a measured run: wait (up to 15 min, polling every 30 s) until the
 * 1-minute load average is at most 1.5, then go on anyway. Returns the load
 * average at the start.
 */
export async function waitForQuietMachine(limit = 1.5, maxWait = 900_000) {
  const start = Date.now();
  while (load1() > limit && Date.now() - start < maxWait) {
    console.log(`load average ${load1().toFixed(2)} > ${limit}: waiting 30 s`);
    await sleep(30_000);
  }
  console.log(`load average at start: ${load1().toFixed(2)}`);
  return load1();
}

export async function waitForHttp(url, timeout = 180_000) {
  const start = Date.now();
  while (Date.now() - start < timeout) {
    try {
      const response = await fetch(url);
      if (response.ok) {
        return;
      }
    } catch {
      // not up yet
    }
    await sleep(500);
  }
  throw new Error(`${url} did not answer`);
}

/**
 * A work folder of our own: /tmp/bench4-<name>-XXXXXX.
 */
export const workDir = name =>
  fs.mkdtempSync(path.join('/tmp', `bench4-${name}-`));

/**
 * Start JupyterLab with the Galata test configuration (no token, the app
 * exposed as window.jupyterapp) on `port`, its embedded MLflow server on
 * `port - 3000` with its store in `backend`. `args` and `env` are added.
 */
export function startLab({ port, work, backend, args = [], env = {} }) {
  const root = path.join(work, 'root');
  const server = spawn(
    path.join(bin, 'jupyter'),
    [
      'lab',
      '--config',
      path.join(repo, 'ui-tests', 'jupyter_server_test_config.py'),
      `--port=${port}`,
      ...(backend ? [`--Trackside.backend_root=${backend}`] : []),
      ...args
    ],
    {
      cwd: path.join(repo, 'ui-tests'),
      env: {
        ...process.env,
        PATH: `${bin}:${process.env.PATH}`,
        TRACKSIDE_UI_ROOT: root,
        TRACKSIDE_UI_BACKEND_PORT: String(port - 3000),
        ...env
      },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true
    }
  );
  const mlflow = `http://127.0.0.1:${port - 3000}`;
  mlflowStates.set(mlflow, path.join(backend ?? root, '.trackside'));
  const logPath = path.join(work, `jupyter-${port}.log`);
  const log = fs.createWriteStream(logPath);
  server.stderr.pipe(log);
  return {
    server,
    logPath,
    base: `http://localhost:${port}`,
    mlflow,
    ready: () => waitForHttp(`http://localhost:${port}/lab`)
  };
}

/**
 * Stop JupyterLabs started by startLab (SIGTERM to each process group: a
 * server shuts its kernels and its embedded MLflow server down), then kill
 * whatever is left that runs in or from `work` (by pid).
 */
export async function stopLab(labs, work) {
  const list = Array.isArray(labs) ? labs : [labs];
  const alive = lab => {
    try {
      process.kill(lab.server.pid, 0);
      return lab.server.exitCode === null;
    } catch {
      return false;
    }
  };
  const signal = (lab, name) => {
    try {
      process.kill(-lab.server.pid, name);
    } catch {
      // already gone
    }
  };
  list.forEach(lab => signal(lab, 'SIGTERM'));
  for (let i = 0; i < 60 && list.some(alive); i++) {
    await sleep(250);
  }
  list.forEach(lab => signal(lab, 'SIGKILL'));
  await sleep(500);
  killLeftovers(work);
}

/**
 * Kill (by pid) the processes whose command line or working folder is in
 * `work`: a kernel or MLflow server that outlived its JupyterLab.
 */
function killLeftovers(work) {
  for (const pid of fs.readdirSync('/proc').filter(p => /^\d+$/.test(p))) {
    if (Number(pid) === process.pid) {
      continue;
    }
    let cwd = '';
    let cmd = '';
    try {
      cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
      cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cwd.startsWith(work) || cmd.includes(work)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
        console.log(`killed leftover ${pid}: ${cmd.replace(/\0/g, ' ')}`);
      } catch {
        // gone
      }
    }
  }
}

export function launchBrowser() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run']
  });
}

/**
 * Open JupyterLab in a new page (its own browser context) and wait until it
 * is restored. `init` runs in the page before any of its scripts.
 */
export async function openLab(browser, base, { init } = {}) {
  const page = await browser.newPage({
    viewport: { width: 1280, height: 900 }
  });
  if (init) {
    await page.addInitScript(init);
  }
  page.on('console', message => {
    if (message.type() === 'error') {
      console.log(`[browser error] ${message.text()}`);
    }
  });
  await page.goto(`${base}/lab`);
  await page.waitForFunction(() => !!window.jupyterapp, null, {
    timeout: 120_000
  });
  await page.evaluate(() => window.jupyterapp.restored);
  await installPageWait(page);
  return page;
}

/**
 * Define window.__benchWait(condition, timeout) in the page: resolves with
 * `performance.now()` at the first animation frame where `condition()`
 * holds, rejects after `timeout` ms.
 */
export async function installPageWait(page) {
  await page.evaluate(() => {
    window.__benchWait = (condition, timeout = 120_000) =>
      new Promise((resolve, reject) => {
        const start = performance.now();
        const check = () => {
          if (condition()) {
            resolve(performance.now());
          } else if (performance.now() - start > timeout) {
            reject(new Error('timeout'));
          } else {
            requestAnimationFrame(check);
          }
        };
        check();
      });
  });
}

/**
 * Open the Trackside panel and wait until the embedded server is healthy.
 */
export async function openHealthyPanel(page) {
  await page.evaluate(() =>
    window.jupyterapp.commands.execute('trackside:open-panel')
  );
  const panel = page.getByRole('region', { name: 'Trackside' });
  await panel
    .locator('.jp-Trackside-StatusHealth', { hasText: /^healthy$/ })
    .waitFor({ timeout: 180_000 });
  return panel;
}

/**
 * Create a notebook, turn "Track" on and wait until Trackside is loaded in
 * its kernel; resolves with the notebook's index in the page. Defines
 * window.__benchCellIn(index, code) (run a new cell in that notebook,
 * resolve with its outputs' text) and window.__benchExecIn(index, code) (run
 * code silently in its kernel, resolve with its stdout);
 * window.__benchCell(code) and window.__benchExec(code) do the same in the
 * notebook created last.
 */
export async function createTrackedNotebook(page) {
  const index = await page.evaluate(async () => {
    const app = window.jupyterapp;
    const panel = await app.commands.execute('notebook:create-new', {
      kernelName: 'python3'
    });
    await panel.sessionContext.ready;
    window.__benchNotebooks = window.__benchNotebooks ?? [];
    const created = window.__benchNotebooks.push(panel) - 1;
    const outputText = cell =>
      cell.outputArea.model
        .toJSON()
        .map(
          output =>
            output.text ??
            output.data?.['text/plain'] ??
            (output.ename ? `${output.ename}: ${output.evalue}` : '')
        )
        .map(text => (Array.isArray(text) ? text.join('') : text))
        .join('');
    window.__benchCellIn = async (i, code) => {
      const notebookPanel = window.__benchNotebooks[i];
      app.shell.activateById(notebookPanel.id);
      const notebook = notebookPanel.content;
      const cells = notebook.model.sharedModel;
      cells.insertCell(cells.cells.length, { cell_type: 'code', source: code });
      notebook.activeCellIndex = cells.cells.length - 1;
      await app.commands.execute('notebook:run-cell');
      return outputText(notebook.activeCell);
    };
    window.__benchExecIn = async (i, code) => {
      const notebookPanel = window.__benchNotebooks[i];
      const kernel = notebookPanel.sessionContext.session.kernel;
      let text = '';
      const future = kernel.requestExecute({ code, store_history: false });
      future.onIOPub = msg => {
        if (msg.header.msg_type === 'stream') {
          text += msg.content.text;
        } else if (msg.header.msg_type === 'error') {
          text += `${msg.content.ename}: ${msg.content.evalue}`;
        }
      };
      await future.done;
      return text;
    };
    window.__benchCell = code => window.__benchCellIn(created, code);
    window.__benchExec = code => window.__benchExecIn(created, code);
    return created;
  });
  const id = await page.evaluate(i => window.__benchNotebooks[i].id, index);
  // Each notebook has its own toolbar: the button of this one.
  const track = page
    .locator(`[id="${id}"]`)
    .getByRole('button', { name: 'Track', exact: true });
  await track.click();
  await page.waitForFunction(
    i => window.__benchNotebooks[i].sessionContext.session?.kernel,
    index,
    { timeout: 60_000 }
  );
  for (let i = 0; i < 120; i++) {
    const loaded = await page.evaluate(
      i =>
        window.__benchExecIn(
          i,
          "print('trackside' in get_ipython().extension_manager.loaded)"
        ),
      index
    );
    if (loaded.trim() === 'True') {
      return index;
    }
    await sleep(500);
  }
  throw new Error('Trackside did not load in the kernel');
}

/**
 * Open a run's detail in the panel: the experiment, then the run.
 */
export async function openRun(panel, experiment, run) {
  const button = panel.getByRole('button', { name: experiment, exact: true });
  await button.waitFor({ timeout: 60_000 });
  if ((await button.getAttribute('aria-expanded')) !== 'true') {
    await button.click();
  }
  const link = panel.getByRole('button', { name: run, exact: true });
  await link.waitFor({ timeout: 60_000 });
  await link.click();
  await panel.locator('.jp-Trackside-Detail').waitFor();
}

/**
 * The set-up every single-lab benchmark shares: wait for a quiet machine,
 * start JupyterLab with Trackside and its embedded MLflow server in a fresh
 * work folder (`prepare(backend)` may seed the backend folder first; `args`
 * are added to its command line), launch chromium, run
 * `body({ lab, browser, work, backend, loadBefore })`, and stop and remove
 * everything afterwards, whatever happened.
 */
export async function withLab(name, { port, prepare, args = [] }, body) {
  const loadBefore = process.env.BENCH_NO_WAIT
    ? load1()
    : await waitForQuietMachine();
  const work = workDir(name);
  const backend = path.join(work, 'backend');
  fs.mkdirSync(backend);
  prepare?.(backend);
  const lab = startLab({ port, work, backend, args });
  let browser;
  try {
    await lab.ready();
    browser = await launchBrowser();
    return await body({ lab, browser, work, backend, loadBefore });
  } finally {
    await browser?.close();
    await stopLab(lab, work);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * In a new page: a tracked notebook runs `startCode` (which prints
 * `[run_id, run_name]` as JSON), then the run's detail opens in the panel
 * and its chart of `key` is drawn once (Plotly loaded).
 */
export async function openLiveChart(
  browser,
  base,
  { startCode, experiment, key }
) {
  const page = await openLab(browser, base);
  const panel = await openHealthyPanel(page);
  await createTrackedNotebook(page);
  const started = await page.evaluate(
    code => window.__benchCell(code),
    startCode
  );
  const [runId, runName] = JSON.parse(started.match(/\[.*\]/)[0]);
  await openRun(panel, experiment, runName);
  const chart = panel.getByRole('figure', { name: `Chart of ${key}` });
  await chart
    .locator('.js-plotly-plot .scatterlayer .trace')
    .first()
    .waitFor({ state: 'attached', timeout: 60_000 });
  return { page, panel, runId, runName, chart };
}

/**
 * Replace (or append) the `## <title>` section of bench/README.md, formatted
 * by the repository's prettier (aligned tables); the rest of the file is
 * left as it is.
 */
export function writeSection(title, section) {
  const file = path.join(here, 'README.md');
  try {
    section = execFileSync(
      path.join(repo, 'node_modules', '.bin', 'prettier'),
      ['--stdin-filepath', file],
      { input: section }
    ).toString();
  } catch (error) {
    console.log(`prettier could not format the section: ${error}`);
  }
  let text = fs.readFileSync(file, 'utf8');
  const start = text.indexOf(`## ${title}\n`);
  if (start >= 0) {
    const next = text.indexOf('\n## ', start + 1);
    const rest = next >= 0 ? `\n${text.slice(next + 1)}` : '';
    text = text.slice(0, start) + section.trimEnd() + '\n' + rest;
  } else {
    text = `${text.trimEnd()}\n\n${section.trimEnd()}\n`;
  }
  fs.writeFileSync(file, text);
  console.log(`Wrote the "${title}" section of ${file}`);
}

/**
 * Machine facts for the README sections.
 */
export const machine = browser =>
  `headless Debian Chromium ${browser.version()}, ${os.cpus().length} cores, no GPU`;

export function pythonVersion() {
  return execFileSync(python, [
    '-c',
    'import mlflow, sys; print(f"MLflow {mlflow.__version__}, Python {sys.version.split()[0]}")'
  ])
    .toString()
    .trim();
}

/**
 * Start a CPU profile of a page (CDP); `stop()` resolves with the self time
 * (ms) per category, `classify(url, functionName)` naming the category.
 */
export async function startProfile(page, classify) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.start');
  return {
    async stop() {
      const { profile } = await cdp.send('Profiler.stop');
      await cdp.detach();
      const byId = new Map(profile.nodes.map(node => [node.id, node]));
      const parent = new Map();
      for (const node of profile.nodes) {
        for (const child of node.children ?? []) {
          parent.set(child, node.id);
        }
      }
      const self = {};
      profile.samples.forEach((id, i) => {
        // A native call (layout, DOM) counts for the script that made it.
        let frame = byId.get(id).callFrame;
        for (let up = id; !frame.url && parent.has(up);) {
          up = parent.get(up);
          const caller = byId.get(up).callFrame;
          if (caller.url) {
            frame = caller;
          } else if (caller.functionName === '(root)') {
            break;
          }
        }
        const category = classify(frame.url, frame.functionName);
        self[category] =
          (self[category] ?? 0) + (profile.timeDeltas[i + 1] ?? 0) / 1000;
      });
      return self;
    }
  };
}

/**
 * The usual categories of a JupyterLab page's CPU time.
 */
export function classifyScript(url, name) {
  if (!url) {
    return name.startsWith('(') ? name : '(native)';
  }
  if (/plotly/.test(url)) {
    return 'Plotly';
  }
  if (/apache-arrow/.test(url)) {
    return 'Arrow';
  }
  if (/\/extensions\/jupyterlab-trackside\//.test(url)) {
    return 'Trackside';
  }
  return 'JupyterLab and other';
}

/**
 * A CPU profile's categories as text, busiest first, then the idle share.
 */
export function cpuText(cpu) {
  const busy = Object.entries(cpu).filter(([name]) => name !== '(idle)');
  const total = Object.values(cpu).reduce((n, t) => n + t, 0);
  return busy
    .sort((a, b) => b[1] - a[1])
    .map(
      ([name, t]) =>
        `${name} ${(t / 1000).toFixed(1)} s (${Math.round((100 * t) / total)} %)`
    )
    .join(', ')
    .concat(`; idle ${(((cpu['(idle)'] ?? 0) / total) * 100).toFixed(0)} %`);
}
