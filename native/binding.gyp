{
  "targets": [
    {
      "target_name": "engine_native",
      "sources": [
        "src/addon.cc",
        "src/spawn.cc",
        "src/exit_watch.cc",
        "src/fdio.cc",
        "src/monitor.cc",
        "src/fds.cc",
        "src/seccomp.cc",
        "src/bpf.cc"
      ],
      "include_dirs": ["<!@(node -p \"require('node-addon-api').include\")", "../module"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "cflags_cc!": ["-fno-exceptions"],
      "libraries": ["-lseccomp"]
    }
  ]
}
