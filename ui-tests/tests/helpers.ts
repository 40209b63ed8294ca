/**
 * Shared steps of the Galata tests.
 */
import { expect } from '@jupyterlab/galata';
import type { Locator, Page } from '@playwright/test';
import { execFileSync } from 'child_process';
import * as path from 'path';

/**
 * The project's Python, with mlflow installed.
 */
export const python =
  process.env.TRACKSIDE_PYTHON ??
  path.resolve(__dirname, '..', '..', '.venv', 'bin', 'python');

/**
 * Open the Trackside panel, wait until the embedded MLflow server is healthy
 * (it starts in the background) and return the panel and the tracking URI.
 */
export async function openHealthyPanel(
  page: Page
): Promise<{ panel: Locator; trackingUri: string }> {
  await page.evaluate(async () => {
    await window.jupyterapp.commands.execute('trackside:open-panel');
  });
  const panel = page.getByRole('region', { name: 'Trackside' });
  await expect(panel).toBeVisible();
  await expect(panel.locator('.jp-Trackside-StatusHealth')).toHaveText(
    'healthy',
    { timeout: 120_000 }
  );
  const response = await page.request.get('/trackside/api/status');
  expect(response.ok()).toBe(true);
  const status = await response.json();
  return { panel, trackingUri: status.tracking_uri };
}

/**
 * Run a Python snippet the way a user's own script would (`sys.argv[1:]` are
 * the arguments), failing the test if it fails.
 */
export function runPython(code: string, args: string[]): void {
  execFileSync(python, ['-c', code, ...args], {
    stdio: 'inherit',
    timeout: 120_000
  });
}
