// The unit lane (npm run test:unit, make test-lane-unit-user): the test/unit files as plain
// JavaScript, transpiled to dist/test/unit by scripts/build-unit-tests.mjs (make unit-tests), so no
// test file pays tsx's start-up. make test's main ava lane (package.json) runs the same .ts files
// through tsx. Source maps point failures at the .ts lines.

// The files that take longest (they wait on real processes and timers, or keep a CPU busy) start
// first: started last, one of them alone would be the lane's tail. The rest keep ava's order.
const longestFirst = [
  'workloads.test.js',
  'pause.test.js',
  'sched/sampler.test.js',
  'supervisor-lifecycle.test.js',
  'server-deadline.test.js',
  'logging/ring.test.js',
];
const rank = (file) => {
  const i = longestFirst.findIndex((name) => file.endsWith(`/dist/test/unit/${name}`));
  return i === -1 ? longestFirst.length : i;
};

export default {
  files: ['dist/test/unit/**/*.test.js'],
  nodeArguments: ['--enable-source-maps'],
  workerThreads: false,
  timeout: '120s',
  concurrency: 4,
  sortTestFiles: (a, b) => rank(a) - rank(b) || a.localeCompare(b),
};
