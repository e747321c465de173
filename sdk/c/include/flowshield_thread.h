/*
 * flowshield_thread.h — optional: solve challenges on a background thread (POSIX threads).
 *
 * The thread takes a job from the client (fs_client_take_job), hashes up to `slice_hashes`
 * candidates WITHOUT holding the lock, then commits the progress (fs_client_commit_job). The lock
 * is held only to take and commit (microseconds), so the game thread never waits for hashing.
 *
 * Rule: while the thread runs, every call on its fs_client must be made between
 * fs_solver_thread_lock() and fs_solver_thread_unlock() (unlock also wakes the thread, so a
 * challenge handed over in fs_client_on_datagram starts being solved at once). Memory: one malloc
 * in fs_solver_thread_start, freed by fs_solver_thread_stop.
 */
#ifndef FLOWSHIELD_THREAD_H
#define FLOWSHIELD_THREAD_H
#include "flowshield.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fs_solver_thread fs_solver_thread;

/** Starts the thread for client c (slice_hashes 0: 65536). FS_OK, FS_ERR_MEMORY, FS_ERR_SYSTEM. */
FS_API int fs_solver_thread_start(fs_client *c, uint64_t slice_hashes, fs_solver_thread **out);
FS_API void fs_solver_thread_lock(fs_solver_thread *t);
FS_API void fs_solver_thread_unlock(fs_solver_thread *t);
/** Stops and joins the thread, frees it. Call without holding the lock. */
FS_API void fs_solver_thread_stop(fs_solver_thread *t);

#ifdef __cplusplus
}
#endif
#endif
