#ifndef ZTGUARDD_CSWIFTEXECUTORHOOKS_SHIM_H
#define ZTGUARDD_CSWIFTEXECUTORHOOKS_SHIM_H
// The Swift concurrency runtime's executor hooks (swift/Runtime/Concurrency.h; exported by
// libswift_Concurrency and linked from its static archive in release builds). Setting them before the
// first task exists moves every job of the process off libdispatch: see MainThreadExecutor.swift.
// Declared here as plain pointers and set through one function, so Swift never touches a mutable C
// global; the runtime calls them with the Swift calling convention, which MainThreadExecutor's
// @convention(thin) functions use. Nothing more is linked.
extern void *swift_task_enqueueGlobal_hook;
extern void *swift_task_enqueueGlobalWithDelay_hook;
extern void *swift_task_enqueueGlobalWithDeadline_hook;

static inline void ztguardd_install_executor_hooks(void *global, void *delay, void *deadline) {
    swift_task_enqueueGlobal_hook = global;
    swift_task_enqueueGlobalWithDelay_hook = delay;
    swift_task_enqueueGlobalWithDeadline_hook = deadline;
}
#endif
