// The unit lane (npm run test:unit, make test-lane-unit-user): the test/unit files as plain
// JavaScript, transpiled to dist/test/unit by scripts/build-unit-tests.mjs (make unit-tests), so no
// test file pays tsx's start-up. make test's main lane (package.json) runs the same .ts files
// through tsx. Source maps point failures at the .ts lines.
export default {
  files: ['dist/test/unit/**/*.test.js'],
  nodeArguments: ['--enable-source-maps'],
  workerThreads: false,
  timeout: '120s',
  concurrency: 4,
};
