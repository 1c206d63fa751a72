// Placeholder: the kernel monitor binding (issue 4) fills this file with the /dev/container_monitor ioctls.
#include "addon.h"
void InitMonitor(Napi::Env env, Napi::Object exports) {}
