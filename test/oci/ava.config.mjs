// The OCI lane's scenarios (run by test/oci/lane.ts, which sets up containerd and podman first).
export default {
  files: ['test/oci/**/*.test.ts'],
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx'],
  workerThreads: false,
  timeout: '120s',
  concurrency: 2,
};
