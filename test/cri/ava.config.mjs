// The CRI lane (make test-lane-cri): its own ava config, so `make test`'s main lane leaves it out.
// One file at a time: each file runs its own containerd, and the pod start timing wants a quiet host.
export default {
  files: ['test/cri/**/*.test.ts'],
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx'],
  workerThreads: false,
  timeout: '180s',
  concurrency: 1,
};
