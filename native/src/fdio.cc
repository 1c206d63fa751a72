// Placeholder: the log pipeline (issue 3) fills this file with pipe sizing and reads into shared memory.
#include "addon.h"
void InitFdio(Napi::Env env, Napi::Object exports) {}
