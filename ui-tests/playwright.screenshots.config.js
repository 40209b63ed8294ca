/**
 * Galata configuration for the documentation screenshots (not tests).
 */
const testConfig = require('./playwright.config');

module.exports = {
  ...testConfig,
  testDir: '.',
  // The panel screenshot, and the tests that save README screenshots when
  // TRACKSIDE_DOC_SHOTS is set.
  testMatch: [
    'screenshots/*.screenshot.ts',
    'tests/compare.spec.ts',
    'tests/examples.spec.ts',
    'tests/liveStream.spec.ts',
    'tests/models.spec.ts',
    'tests/modelView.spec.ts',
    'tests/projects.spec.ts',
    'tests/serving.spec.ts'
  ],
  grep: /screenshot|compares 3 runs|starter\.ipynb|grows while it runs|lists registered models|logged model: list|serve version 1|changed parameter, output streaming/,
  retries: 0
};
