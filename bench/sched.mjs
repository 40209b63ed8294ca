/**
 * Who had the CPU, and who waited for it: the kernel's scheduler statistics
 * (/proc/<pid>/task/<tid>/schedstat: nanoseconds on a CPU, nanoseconds
 * runnable but waiting in a run queue) summed per part of the set-up between
 * two snapshots. Wait time is what CPU contention costs a thread; a profile
 * taken inside the page cannot tell it from work.
 */
import fs from 'fs';

/** Parts of the benchmark's set-up, first match wins. */
const PARTS = [
  ['chromium, other threads', /chrom(e|ium)/],
  ['kernels', /ipykernel_launcher/],
  ['Jupyter server', /jupyter[-_]lab|jupyterlab|jupyter-server/],
  // Before MLflow: a backend's title names its database ("postgres: … mlflow …").
  ['PostgreSQL', /^(\S*\/)?postgres(:| )/],
  ['MLflow server', /mlflow|uvicorn|gunicorn|waitress/],
  ['S3 (moto)', /moto/],
  ['bench (node, team_server.py)', /node|team_server/]
];
export const PAGE_MAIN = 'page main thread';
export const OUTSIDE = 'outside this benchmark';

function read(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null; // the task ended between listing and reading
  }
}

/** Each process's command line and parent, from /proc. */
function processes() {
  const table = new Map();
  const pids = fs.readdirSync('/proc').filter(name => /^\d+$/.test(name));
  for (const pid of pids) {
    const cmdline = read(`/proc/${pid}/cmdline`);
    const stat = read(`/proc/${pid}/stat`);
    if (cmdline === null || stat === null) {
      continue;
    }
    // The fields after the command name, which may itself hold ' ' or ')'.
    const ppid = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1];
    table.set(pid, { text: cmdline.replace(/\0/g, ' '), ppid });
  }
  return table;
}

/**
 * The part a process belongs to: that of its nearest ancestor (itself first)
 * whose command line names one, up to this Node process or one of `daemons`
 * (processes the benchmark started that left their starter, like
 * PostgreSQL); a process outside those trees is not the benchmark's.
 */
function partOf(pid, table, daemons) {
  let part = null;
  for (let at = pid; table.has(at); at = table.get(at).ppid) {
    const { text } = table.get(at);
    part ??= PARTS.find(([, pattern]) => pattern.test(text))?.[0] ?? null;
    if (at === String(process.pid) || daemons.includes(Number(at))) {
      return {
        part: part ?? 'other',
        renderer: /--type=renderer/.test(table.get(pid).text)
      };
    }
  }
  return { part: OUTSIDE, renderer: false };
}

/**
 * Per thread (pid/tid): its part, on-CPU and waiting nanoseconds.
 */
export function snapshot(daemons = []) {
  const threads = new Map();
  const table = processes();
  for (const pid of table.keys()) {
    const owner = partOf(pid, table, daemons);
    let tids = [];
    try {
      tids = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      const stat = read(`/proc/${pid}/task/${tid}/schedstat`);
      if (!stat) {
        continue;
      }
      const [run, wait] = stat.split(' ').map(Number);
      // A renderer's main thread has the process's own id.
      const page = owner.renderer && tid === pid;
      threads.set(`${pid}/${tid}`, {
        part: page ? PAGE_MAIN : owner.part,
        run,
        wait
      });
    }
  }
  return threads;
}

/**
 * Seconds on a CPU and waiting for one per part between two snapshots; for the
 * page, only the busiest renderer main thread (other renderers idle). Threads
 * that started in between count from zero.
 */
export function between(before, after) {
  const parts = {};
  let page = { run: 0, wait: 0 };
  for (const [key, now] of after) {
    const was = before.get(key) ?? { run: 0, wait: 0 };
    const run = (now.run - was.run) / 1e9;
    const wait = (now.wait - was.wait) / 1e9;
    if (now.part === PAGE_MAIN) {
      if (run > page.run) {
        page = { run, wait };
      }
      continue;
    }
    const sum = (parts[now.part] ??= { run: 0, wait: 0 });
    sum.run += run;
    sum.wait += wait;
  }
  return { [PAGE_MAIN]: page, ...parts };
}

/** How many times as long a part waited for a CPU as it ran, "2.7". */
export const ratio = ({ run, wait }) => (wait / Math.max(run, 1e-9)).toFixed(1);

/** A Markdown table, busiest part first. */
export function schedTable(parts) {
  const rows = Object.entries(parts)
    .filter(([, { run, wait }]) => run + wait >= 0.05)
    .sort(([, a], [, b]) => b.run - a.run)
    .map(
      ([part, { run, wait }]) =>
        `| ${part} | ${run.toFixed(1)} s | ${wait.toFixed(1)} s |`
    );
  return [
    '| part | on a CPU | waiting for a CPU (thread-seconds) |',
    '|---|---|---|',
    ...rows
  ].join('\n');
}
