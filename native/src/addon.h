// One native addon, one concern per file. Each file exports an Init function that adds its
// functions to the module's exports. The addon holds no policy: it performs system calls and
// reports failures as { step, errno } or a thrown Error with .code (errno name) and .syscall.
#pragma once
#include <napi.h>

void InitSpawn(Napi::Env env, Napi::Object exports);      // spawn.cc: clone + exec engine-init, pidfds, memfds, fd passing
void InitExitWatch(Napi::Env env, Napi::Object exports);  // exit_watch.cc: pidfd exit watching on the loop
void InitFdio(Napi::Env env, Napi::Object exports);       // fdio.cc: pipe sizing, reads into shared memory, poll
void InitMonitor(Napi::Env env, Napi::Object exports);    // monitor.cc: /dev/container_monitor ioctls and events
void InitFds(Napi::Env env, Napi::Object exports);        // fds.cc: pipes, peer credentials
void InitSeccomp(Napi::Env env, Napi::Object exports);    // seccomp.cc: libseccomp rules -> raw BPF bytes
void InitBpf(Napi::Env env, Napi::Object exports);        // bpf.cc: cgroup v2 device filter programs

// Throws a JS Error shaped like Node's system errors: message "syscall: STRERROR", code "EXXX", errno, syscall.
Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall);
// The symbolic name of an errno value ("ENOENT"), or "E<n>" when unknown.
const char* ErrnoName(int err);
