// The hardening lane (make test-lane-hardening): short runs of the protocol fuzzer and the soak
// (bench/hardening), 1,000 failed execs, a connection flood. Its own config, so `make test`'s main
// lane leaves it out, and one file at a time: each loads its supervisor on its own and judges its
// growth, and each runs longer than the main lane's timeout allows.
export default {
  files: ['test/hardening/**/*.test.ts'],
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx'],
  workerThreads: false,
  timeout: '300s',
  concurrency: 1,
};
