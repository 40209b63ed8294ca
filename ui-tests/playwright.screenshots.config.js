/**
 * Galata configuration for the documentation screenshots (not tests).
 */
const testConfig = require('./playwright.config');

module.exports = {
  ...testConfig,
  testDir: './screenshots',
  testMatch: '*.screenshot.ts',
  retries: 0
};
