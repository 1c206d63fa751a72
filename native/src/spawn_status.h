// What a container's first process reports to the supervisor on the status pipe, and the exit
// codes it uses when it cannot go on. One table, shared by spawn.cc and (through stepName) JS.
#pragma once
#include <stdint.h>

struct StatusRecord {
  int32_t step;   // kStep*: kStepReady, or the step that failed
  int32_t err;    // errno of the failure, 0 for ready
  int32_t flags;  // kFlag* (with kStepReady)
  int32_t reserved;
};
static_assert(sizeof(StatusRecord) == 16, "status record is 16 bytes");

enum : int32_t {
  kStepReady = 0,
  kStepPrctl,
  kStepSetsid,
  kStepMountPrivate,
  kStepBindRootfs,
  kStepMountProc,
  kStepMountDev,
  kStepMknod,
  kStepPivotRoot,
  kStepUmountOld,
  kStepHostname,
  kStepNice,
  kStepAffinity,
  kStepStdio,
  kStepExec,
};

enum : int32_t { kFlagUsedChroot = 1 };

// Exit codes of a container that never ran its command. 126/127 follow the shell's convention
// (and CONTRACT.md); 125 is Docker's "the runtime failed".
enum : int {
  kExitSetupFailed = 125,
  kExitNotExecutable = 126,
  kExitNotFound = 127,
  kExitAborted = 125,
};

inline const char* StepNameOf(int32_t step) {
  switch (step) {
    case kStepReady: return "ready";
    case kStepPrctl: return "prctl";
    case kStepSetsid: return "setsid";
    case kStepMountPrivate: return "mount-private";
    case kStepBindRootfs: return "rootfs";
    case kStepMountProc: return "mount-proc";
    case kStepMountDev: return "mount-dev";
    case kStepMknod: return "mknod";
    case kStepPivotRoot: return "pivot_root";
    case kStepUmountOld: return "umount-oldroot";
    case kStepHostname: return "sethostname";
    case kStepNice: return "setpriority";
    case kStepAffinity: return "sched_setaffinity";
    case kStepStdio: return "stdio";
    case kStepExec: return "exec";
    default: return "unknown";
  }
}
