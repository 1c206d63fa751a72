// The version every entry point prints (engine --version, engine info, engine-oci --version).
// Kept in step with package.json by test/unit/project.test.ts.
export const ENGINE_VERSION = '0.2.0';
