/**
 * Start-up benchmark (not a test): JupyterLab's start-up time in the browser
 * with and without Trackside, driven by Playwright in Debian's chromium.
 *
 *   node bench/startup.mjs             # writes the "Start-up" section of
 *                                      # bench/README.md
 *
 * Three JupyterLab servers run side by side, the same but for Trackside:
 *  - with: Trackside installed (server extension, embedded MLflow server,
 *    labextension);
 *  - disabled: its labextension disabled in `labconfig/page_config.json`
 *    (`disabledExtensions`) and its server extension off;
 *  - without: not installed (the labextension is not on the labextensions
 *    path, the server extension off).
 * The modes alternate in rounds, BENCH_REPEAT rounds (a round pauses, up
 * to 2 min, while the load average is above 3), every load in a fresh browser
 * context (empty cache). Timed in the page from navigation start to
 * JupyterLab's `app.restored` with the launcher visible in the main area.
 * Resource Timing gives the JavaScript bytes fetched at start-up, Trackside's
 * own, and whether the Plotly and Arrow chunks were fetched.
 *
 * Environment: BENCH_PORT (8914; also +1 and +2; MLflow on port - 3000),
 * BENCH_REPEAT (15), BENCH_NO_WAIT (skip waiting for a load average <= 1.5).
 */
import fs from 'fs';
import path from 'path';
import {
  classifyScript,
  launchBrowser,
  load1,
  machine,
  median,
  repo,
  sleep,
  startLab,
  startProfile,
  stopLab,
  waitForQuietMachine,
  workDir,
  writeSection
} from './lab.mjs';

const PORT = Number(process.env.BENCH_PORT ?? 8914);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 15);
const NAME = 'jupyterlab-trackside';
const OTHERS = [
  'jupyter_lsp',
  'jupyter_server_terminals',
  'jupyterlab',
  'notebook_shim'
];

/**
 * Command-line options of a server without Trackside's server extension
 * (the other server extensions stay on).
 */
const serverExtensionOff = [
  ...OTHERS.map(name => `--ServerApp.jpserver_extensions=${name}=True`),
  '--ServerApp.jpserver_extensions=trackside=False'
];

/**
 * A labextensions folder holding every installed labextension but ours.
 */
function labextensionsWithout(work) {
  const folder = path.join(work, 'labextensions');
  fs.mkdirSync(folder);
  const installed = path.join(
    repo,
    '.venv',
    'share',
    'jupyter',
    'labextensions'
  );
  for (const name of fs.readdirSync(installed)) {
    if (name !== NAME) {
      fs.symlinkSync(path.join(installed, name), path.join(folder, name));
    }
  }
  return folder;
}

/**
 * A config folder whose page_config disables our labextension.
 */
function configDisabling(work) {
  const folder = path.join(work, 'config');
  fs.mkdirSync(path.join(folder, 'labconfig'), { recursive: true });
  fs.writeFileSync(
    path.join(folder, 'labconfig', 'page_config.json'),
    JSON.stringify({ disabledExtensions: { [NAME]: true } })
  );
  return folder;
}

/**
 * In the page, from the start: when `app.restored` resolved and when the
 * launcher was first visible (ms since navigation start).
 */
function watchStartup() {
  performance.setResourceTimingBufferSize(10000);
  window.__bench = {};
  const poll = () => {
    const app = window.jupyterapp;
    if (app && !window.__bench.hooked) {
      window.__bench.hooked = true;
      app.restored.then(() => (window.__bench.restored = performance.now()));
    }
    const launcher = document.querySelector('#jp-main-dock-panel .jp-Launcher');
    if (launcher && launcher.getBoundingClientRect().width > 0) {
      window.__bench.launcher ??= performance.now();
    }
    if (!window.__bench.restored || !window.__bench.launcher) {
      requestAnimationFrame(poll);
    }
  };
  requestAnimationFrame(poll);
}

async function loadOnce(browser, base, profiled = false) {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 }
  });
  const page = await context.newPage();
  await page.addInitScript(watchStartup);
  const profile = profiled ? await startProfile(page, classifyScript) : null;
  await page.goto(`${base}/lab`, { waitUntil: 'commit' });
  await page.waitForFunction(
    () => window.__bench?.restored && window.__bench?.launcher,
    null,
    { timeout: 120_000, polling: 100 }
  );
  const result = await page.evaluate(name => {
    const scripts = performance
      .getEntriesByType('resource')
      .filter(entry => /\.js(\?|$)/.test(entry.name));
    const sum = (list, field) => list.reduce((n, e) => n + e[field], 0);
    const ours = scripts.filter(e => e.name.includes(`/extensions/${name}/`));
    return {
      restored: window.__bench.restored,
      launcher: window.__bench.launcher,
      js: sum(scripts, 'decodedBodySize'),
      jsTransfer: sum(scripts, 'transferSize'),
      jsFiles: scripts.length,
      ours: ours.map(e => ({
        file: e.name.split('/').pop().split('?')[0],
        decoded: e.decodedBodySize,
        transfer: e.transferSize
      })),
      lazy: scripts
        .filter(e => /plotly|apache-arrow/.test(e.name))
        .map(e => e.name.split('/').pop())
    };
  }, NAME);
  const cpu = await profile?.stop();
  await context.close();
  return { ...result, cpu, ready: Math.max(result.restored, result.launcher) };
}

async function main() {
  const loadBefore = process.env.BENCH_NO_WAIT
    ? load1()
    : await waitForQuietMachine();
  const work = workDir('startup');
  const backend = path.join(work, 'backend');
  fs.mkdirSync(backend);
  const labs = {
    with: startLab({ port: PORT, work, backend }),
    disabled: startLab({
      port: PORT + 1,
      work,
      args: serverExtensionOff,
      env: { JUPYTER_CONFIG_PATH: configDisabling(work) }
    }),
    without: startLab({
      port: PORT + 2,
      work,
      args: [
        ...serverExtensionOff,
        `--LabApp.labextensions_path=${labextensionsWithout(work)}`
      ]
    })
  };
  const modes = Object.keys(labs);
  let browser;
  try {
    for (const lab of Object.values(labs)) {
      await lab.ready();
    }
    // The embedded MLflow server of "with" is up before anything is timed.
    for (let i = 0; i < 240; i++) {
      const status = await (
        await fetch(`${labs.with.base}/trackside/api/status`)
      ).json();
      if (status.healthy) {
        break;
      }
      await new Promise(resolve => setTimeout(resolve, 500));
    }
    browser = await launchBrowser();
    // Warm-up, not counted: one load of each mode, with a CPU profile.
    const cpu = {};
    for (const mode of modes) {
      cpu[mode] = (await loadOnce(browser, labs[mode].base, true)).cpu;
    }
    const results = Object.fromEntries(modes.map(mode => [mode, []]));
    const loads = [];
    for (let i = 0; i < REPEAT; i++) {
      for (let wait = 0; wait < 24 && load1() > 3; wait++) {
        await sleep(5000);
      }
      loads.push(load1());
      // Rotate the order so no mode always goes first.
      for (let j = 0; j < modes.length; j++) {
        const mode = modes[(i + j) % modes.length];
        const result = await loadOnce(browser, labs[mode].base);
        results[mode].push(result);
        console.log(
          `${mode}: ready ${Math.round(result.ready)} ms, ${result.jsFiles} JS files, ${Math.round(result.js / 1024)} KiB`
        );
      }
    }
    const summary = Object.fromEntries(
      modes.map(mode => {
        const list = results[mode];
        return [
          mode,
          {
            ready: median(list.map(r => r.ready)),
            all: list.map(r => Math.round(r.ready)),
            restored: median(list.map(r => r.restored)),
            js: median(list.map(r => r.js)),
            jsTransfer: median(list.map(r => r.jsTransfer)),
            jsFiles: median(list.map(r => r.jsFiles)),
            ours: list[0].ours,
            lazy: [...new Set(list.flatMap(r => r.lazy))]
          }
        ];
      })
    );
    // Per round (the modes loaded one after the other): with - without.
    const paired = results.with.map(
      (r, i) => r.ready - results.without[i].ready
    );
    const figures = {
      machine: machine(browser),
      repeat: REPEAT,
      paired: median(paired),
      pairedAll: paired.map(Math.round),
      loadBefore,
      loads,
      cpu,
      ...summary
    };
    console.log(JSON.stringify(figures, null, 2));
    writeReadme(figures);
  } finally {
    await browser?.close();
    await stopLab(Object.values(labs), work);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * "Trackside 123 ms, JupyterLab and other 1234 ms, …" (busy time only).
 */
function cpuText(cpu) {
  return Object.entries(cpu)
    .filter(([name]) => name !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .map(([name, t]) => `${name} ${Math.round(t)} ms`)
    .join(', ');
}

function writeReadme(f) {
  const date = new Date().toISOString().slice(0, 10);
  const r = value => `${Math.round(value)} ms`;
  const kib = value => `${Math.round(value / 1024)} KiB`;
  const loads = `${Math.min(...f.loads).toFixed(2)}–${Math.max(...f.loads).toFixed(2)}`;
  const delta = f.paired;
  const ours = mode =>
    f[mode].ours.length
      ? f[mode].ours
          .map(
            o =>
              `\`${o.file.replace(/\.[0-9a-f]{16,20}\.js$/, '.js')}\` ${kib(o.decoded)}`
          )
          .join(', ')
      : 'none';
  const oursTotal = mode => f[mode].ours.reduce((n, o) => n + o.decoded, 0);
  const row = (label, mode) =>
    `| ${label} | **${r(f[mode].ready)}** (${f[mode].all.join(', ')}) | ${r(f[mode].restored)} | ${kib(f[mode].js)} in ${f[mode].jsFiles} files (${kib(f[mode].jsTransfer)} transferred) | ${ours(mode)} | ${f[mode].lazy.length ? f[mode].lazy.join(', ') : 'no'} |`;
  writeSection(
    'Start-up',
    `## Start-up

\`node bench/startup.mjs\` (${date}; ${f.machine}; three JupyterLab servers side by side, the same but for Trackside; every load in a fresh browser context (empty cache); the modes alternate in ${f.repeat} rounds (a round waits while the load average is above 3), medians; timed in the page from navigation start; load average ${f.loadBefore.toFixed(2)} before the run, ${loads} during it).

| mode | navigation → \`app.restored\` and the launcher shown | \`app.restored\` alone | JavaScript fetched | of it, Trackside's | Plotly / Arrow chunks fetched |
|---|---|---|---|---|---|
${row('with Trackside (installed, server extension and embedded MLflow server running)', 'with')}
${row('labextension disabled (\`disabledExtensions\` in \`page_config.json\`), server extension off', 'disabled')}
${row('without Trackside (not installed)', 'without')}

With Trackside, start-up is **${r(Math.abs(delta))} ${delta >= 0 ? 'slower' : 'faster'}** than without: the median of the
${f.repeat} per-round differences (${f.pairedAll.join(', ')} ms; the difference of the medians above is
${r(f.with.ready - f.without.ready)}). Target: at most 100 ms slower: ${delta <= 100 ? 'met' : 'missed'}. Trackside adds ${kib(oursTotal('with'))} of JavaScript at start-up
(the labextension is a development build). Plotly and Arrow are not fetched at start-up: they load with the first chart.
Main-thread CPU time of one load (CPU profile, self time, native calls counted for the script
that made them; not the timed loads): ${['with', 'without'].map(mode => `${mode}: ${cpuText(f.cpu[mode])}`).join('; ')}.
Disabling the labextension in \`page_config.json\` does not stop its JavaScript from loading
(${kib(oursTotal('disabled'))}): JupyterLab fetches every federated extension's \`remoteEntry\` and
\`./index\` module and only skips activating disabled plugins (and their styles).
`
  );
}

main().catch(reason => {
  console.error(reason);
  process.exit(1);
});
