/**
 * Security probes that need a real browser (rows of the reliability report in
 * the titles). Stored markup in the panel (C8) is probed by the charts,
 * compare and models specs.
 */
import { expect, test } from '@jupyterlab/galata';

const PAYLOADS = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  '<svg onload=alert(1)>'
];

test.describe('Trackside security in the browser', () => {
  test('[C6] markup in Trackside URLs and errors is never run or rendered', async ({
    page
  }) => {
    // A tab of its own (same cookies), so that JupyterLab's page stays as Galata
    // expects it.
    const probe = await page.context().newPage();
    const dialogs: string[] = [];
    probe.on('dialog', async dialog => {
      dialogs.push(dialog.message());
      await dialog.dismiss();
    });
    for (const payload of PAYLOADS) {
      const quoted = encodeURIComponent(payload);
      for (const url of [
        `/trackside/api/mlflow/${quoted}`,
        `/trackside/api/${quoted}`,
        // Reflected by MLflow itself in its error, then relayed by the gateway.
        `/trackside/api/mlflow/runs/get?run_id=${quoted}`,
        `/trackside/api/artifacts/file?run_id=1&path=${quoted}`,
        `/trackside/api/metrics/history?run_ids=${quoted}&keys=${quoted}`
      ]) {
        const response = await probe.goto(url);
        expect(response, url).not.toBeNull();
        expect(response!.status(), url).toBeGreaterThanOrEqual(400);
        const headers = response!.headers();
        expect(headers['content-type'], url).toMatch(/^application\/json/);
        expect(headers['x-content-type-options'], url).toBe('nosniff');
        const body = await response!.text();
        expect(body.toLowerCase(), url).not.toMatch(/<script|<img|<svg/);
        const active = await probe.evaluate(
          () => document.querySelectorAll('script, img, svg, iframe').length
        );
        expect(active, url).toBe(0);
      }
    }
    expect(dialogs).toEqual([]);
    await probe.close();
  });
});
