// The OCI lane's scenarios (run by test/oci/lane.ts, which sets up containerd and podman first).
export default {
  files: ['test/oci/**/*.test.ts'],
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx'],
  workerThreads: false,
  // ava's timeout is inactivity across the run; every wait in the lane has its own, shorter deadline.
  timeout: '300s',
  concurrency: 2,
};
