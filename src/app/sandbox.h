#pragma once
// The system-call allow-list the server runs under once it has started (seccomp, installed on
// every thread). What a running server does (memory, threads, its own files, its sockets, the
// collector's connection) is allowed; anything else (starting programs, tracing, mounting,
// changing identity, loading kernel code) kills the process. Threads are created with `clone`
// limited to threads; `clone3`, whose flags a filter cannot see, answers ENOSYS so that the C
// library falls back to `clone`.
//
// Call once, after start-up (files and listeners open) and before serving.

#include "common/error.h"

namespace strongroom::app {

Result<void> InstallSyscallFilter();

}  // namespace strongroom::app
