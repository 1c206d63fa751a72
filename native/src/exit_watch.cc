// Exit watching through a pidfd polled on the env's own libuv loop. No SIGCHLD handler and no
// waitpid(-1): libuv reaps only its own children, and each container is reaped by waitid on its
// own pidfd, so nothing races.

#include "addon.h"

#include <errno.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include <set>

namespace {

struct Watch {
  uv_poll_t poll;
  int pidfd;
  Napi::FunctionReference callback;
  napi_env env;
  std::set<Watch*>* registry;
};

// Per-env set of live watches, so an env teardown (worker exit, process exit) closes them.
struct WatchRegistry {
  std::set<Watch*> live;
};

thread_local WatchRegistry* tRegistry = nullptr;

void OnClosed(uv_handle_t* handle) {
  Watch* w = static_cast<Watch*>(handle->data);
  delete w;
}

void Stop(Watch* w) {
  w->registry->erase(w);
  uv_poll_stop(&w->poll);
  uv_close(reinterpret_cast<uv_handle_t*>(&w->poll), OnClosed);
}

void OnReadable(uv_poll_t* handle, int status, int events) {
  Watch* w = static_cast<Watch*>(handle->data);
  siginfo_t si = {};
  int rc = waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(w->pidfd), &si, WEXITED | WNOHANG);
  if (rc == 0 && si.si_pid == 0 && status == 0) return;  // not yet: a spurious wake-up
  int err = rc < 0 ? errno : 0;

  Napi::Env env(w->env);
  Napi::HandleScope scope(env);
  Napi::Object result = Napi::Object::New(env);
  if (err != 0) {
    result.Set("error", ErrnoError(env, err, "waitid").Value());
  } else {
    result.Set("pid", Napi::Number::New(env, si.si_pid));
    bool exited = si.si_code == CLD_EXITED;
    result.Set("exitCode", exited ? Napi::Number::New(env, si.si_status) : env.Null());
    result.Set("signal", exited ? env.Null() : Napi::Number::New(env, si.si_status));
    result.Set("coreDumped", Napi::Boolean::New(env, si.si_code == CLD_DUMPED));
  }
  Napi::Function cb = w->callback.Value();
  Stop(w);  // the watch is done whatever the callback does
  cb.MakeCallback(env.Global(), {result});
}

void Cleanup(void* arg) {
  WatchRegistry* reg = static_cast<WatchRegistry*>(arg);
  for (Watch* w : std::set<Watch*>(reg->live)) {
    uv_poll_stop(&w->poll);
    // The loop is being torn down: close without waiting for a callback that may never run.
    w->registry->erase(w);
    uv_close(reinterpret_cast<uv_handle_t*>(&w->poll), nullptr);  // w is leaked on purpose
  }
  delete reg;
  tRegistry = nullptr;
}

// watchExit(pidfd, callback): calls callback({ pid, exitCode, signal, coreDumped }) once the
// process has exited and is reaped. The caller still owns (and closes) pidfd.
Napi::Value WatchExit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsFunction()) {
    Napi::TypeError::New(env, "watchExit(pidfd, callback)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  // One env per thread in Node, so a thread_local registry is per env. (Instance data is left
  // free for other parts of the addon.)
  if (tRegistry == nullptr) {
    tRegistry = new WatchRegistry();
    napi_add_env_cleanup_hook(env, Cleanup, tRegistry);
  }
  WatchRegistry* reg = tRegistry;
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  Watch* w = new Watch();
  w->pidfd = info[0].As<Napi::Number>().Int32Value();
  w->callback = Napi::Persistent(info[1].As<Napi::Function>());
  w->env = env;
  w->registry = &reg->live;
  w->poll.data = w;
  int rc = uv_poll_init(loop, &w->poll, w->pidfd);
  if (rc == 0) rc = uv_poll_start(&w->poll, UV_READABLE, OnReadable);
  if (rc != 0) {
    delete w;
    ErrnoError(env, -rc, "uv_poll_start").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  reg->live.insert(w);
  return env.Undefined();
}

}  // namespace

void InitExitWatch(Napi::Env env, Napi::Object exports) {
  exports.Set("watchExit", Napi::Function::New(env, WatchExit));
}
