/**
 * Shared steps of the MLflow Project benchmarks (project_output,
 * project_metrics): put the ticker project (bench/ticker_project) in the
 * lab's root, open its MLproject in the project view and run an entry point,
 * or drive the same executions through Trackside's REST endpoints, and let
 * the ticker go once the observers are in place.
 */
import fs from 'fs';
import path from 'path';
import { here, quantile, sleep } from './lab.mjs';

export const PROJECT = 'ticker';

/**
 * Copy bench/ticker_project to `<work>/root/ticker` (the lab's root is
 * emptied when the lab starts: call this once it is up). Returns the folder.
 */
export function copyTickerProject(work) {
  const target = path.join(work, 'root', PROJECT);
  fs.cpSync(path.join(here, 'ticker_project'), target, { recursive: true });
  return target;
}

/**
 * Let the ticker start: it waits for a file named `go` in its folder.
 */
export function go(projectDir) {
  fs.writeFileSync(path.join(projectDir, 'go'), '');
}

async function api(base, method, route, body) {
  const response = await fetch(`${base}/trackside/api/projects/${route}`, {
    method,
    headers: body ? { 'Content-Type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined
  });
  const text = await response.text();
  if (!response.ok) {
    throw new Error(`${method} ${route}: ${response.status} ${text}`);
  }
  return JSON.parse(text);
}

/**
 * Start an entry point of the ticker through the REST endpoint.
 */
export async function startExecution(base, entryPoint, parameters) {
  const answer = await api(base, 'POST', 'executions', {
    path: PROJECT,
    entry_point: entryPoint,
    parameters
  });
  return answer.execution;
}

/**
 * The newest execution that `predicate` accepts, polled every 100 ms.
 */
export async function waitForExecution(base, predicate, timeout = 180_000) {
  const start = Date.now();
  while (Date.now() - start < timeout) {
    const { executions } = await api(base, 'GET', 'executions');
    const found = executions.find(predicate);
    if (found) {
      return found;
    }
    await sleep(100);
  }
  throw new Error('no such execution');
}

/**
 * Read an execution's output as the project view does (the output
 * endpoint's long poll from offset 0), calling `onLine(line, time)` for
 * every complete line at the time (Date.now()) its answer arrived. Resolves
 * when the execution is done or `stop.value` is set.
 */
export async function followOutput(base, id, onLine, stop) {
  let offset = 0;
  let partial = '';
  let reads = 0;
  while (!stop.value) {
    const answer = await api(
      base,
      'GET',
      `executions/${id}/output?offset=${offset}&wait=5`
    );
    const now = Date.now();
    reads++;
    offset = answer.offset;
    const lines = (partial + answer.output).split('\n');
    partial = lines.pop();
    lines.forEach(line => onLine(line, now));
    if (answer.done) {
      break;
    }
  }
  return reads;
}

/**
 * Open the ticker's MLproject in the project view and pick an entry point.
 * Returns the view's locator.
 */
export async function openProjectView(page, entryPoint) {
  await page.evaluate(
    file =>
      window.jupyterapp.commands.execute('docmanager:open', {
        path: file,
        factory: 'MLflow Project'
      }),
    `${PROJECT}/MLproject`
  );
  const view = page.getByRole('region', {
    name: 'MLflow Project bench-ticker'
  });
  await view.waitFor({ timeout: 60_000 });
  await view.getByRole('tab', { name: entryPoint, exact: true }).click();
  return view;
}

/**
 * p50, p95, max and min of `values` (ms).
 */
export function stat(values) {
  return {
    count: values.length,
    p50: quantile(values, 0.5),
    p95: quantile(values, 0.95),
    max: Math.max(...values),
    min: Math.min(...values)
  };
}
