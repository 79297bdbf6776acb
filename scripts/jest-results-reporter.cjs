// Writes each package's jest totals to .jest-results.json, for the closing line of `npm test`.
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

class ResultsFileReporter {
  onRunComplete(_contexts, results) {
    const { numPassedTests, numFailedTests, numRuntimeErrorTestSuites } = results;
    writeFileSync(join(process.cwd(), '.jest-results.json'), JSON.stringify({ numPassedTests, numFailedTests, numRuntimeErrorTestSuites }));
  }
}

module.exports = ResultsFileReporter;
