/**
 * Galata configuration: Debian's chromium, never a downloaded browser.
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

// Another port lets a second JupyterLab run beside one a developer uses.
const port = process.env.TRACKSIDE_UI_PORT ?? '8888';

module.exports = {
  ...baseConfig,
  timeout: 180 * 1000,
  expect: { timeout: 30 * 1000 },
  // No second try, in CI either: a flaky test must show, not pass on a retry.
  retries: 0,
  workers: 1,
  // Output per port, so that runs on different ports (several developers in
  // one working tree) do not delete each other's traces and reports.
  outputDir: `test-results/${port}`,
  reporter: [
    ['list'],
    ['html', { open: 'never', outputFolder: `playwright-report/${port}` }],
    // Read by `python -m trackside.tests.reliability.report` (rows in titles: "[C8] …").
    ['json', { outputFile: '../.reliability/galata.json' }]
  ],
  use: {
    ...baseConfig.use,
    baseURL: `http://localhost:${port}`,
    // Galata's user mock answers every URL matching /api/me, which includes
    // /trackside/api/metrics/history: use the real user endpoint.
    mockUser: false,
    // Video needs Playwright's own ffmpeg download, which is not available here.
    video: 'off',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync'
      ]
    }
  },
  webServer: {
    command: 'npm start',
    url: `http://localhost:${port}/lab`,
    timeout: 180 * 1000,
    reuseExistingServer: !process.env.CI
  }
};
