/* A solving thread over the job functions: hashing happens outside the lock. */
#include <pthread.h>
#include <stdlib.h>
#include "flowshield_thread.h"

struct fs_solver_thread {
  fs_client *client;
  uint64_t slice;
  pthread_mutex_t mutex;
  pthread_cond_t wake;
  pthread_t thread;
  int stop;
};

static void *run(void *arg) {
  fs_solver_thread *t = (fs_solver_thread *)arg;
  fs_solve_job job;
  pthread_mutex_lock(&t->mutex);
  while (!t->stop) {
    if (fs_client_take_job(t->client, &job) != FS_OK) {
      pthread_cond_wait(&t->wake, &t->mutex);
      continue;
    }
    pthread_mutex_unlock(&t->mutex);
    (void)fs_pow_run(&job.pow, t->slice);
    pthread_mutex_lock(&t->mutex);
    (void)fs_client_commit_job(t->client, &job); /* stale when the challenge changed: dropped */
  }
  pthread_mutex_unlock(&t->mutex);
  return NULL;
}

int fs_solver_thread_start(fs_client *c, uint64_t slice_hashes, fs_solver_thread **out) {
  fs_solver_thread *t;
  if (c == NULL || out == NULL) return FS_ERR_ARGUMENT;
  *out = NULL;
  t = (fs_solver_thread *)calloc(1, sizeof *t);
  if (t == NULL) return FS_ERR_MEMORY;
  t->client = c;
  t->slice = slice_hashes ? slice_hashes : 65536;
  if (pthread_mutex_init(&t->mutex, NULL) != 0) { free(t); return FS_ERR_SYSTEM; }
  if (pthread_cond_init(&t->wake, NULL) != 0) { pthread_mutex_destroy(&t->mutex); free(t); return FS_ERR_SYSTEM; }
  if (pthread_create(&t->thread, NULL, run, t) != 0) {
    pthread_cond_destroy(&t->wake);
    pthread_mutex_destroy(&t->mutex);
    free(t);
    return FS_ERR_SYSTEM;
  }
  *out = t;
  return FS_OK;
}

void fs_solver_thread_lock(fs_solver_thread *t) { pthread_mutex_lock(&t->mutex); }

void fs_solver_thread_unlock(fs_solver_thread *t) {
  pthread_cond_signal(&t->wake);
  pthread_mutex_unlock(&t->mutex);
}

void fs_solver_thread_stop(fs_solver_thread *t) {
  if (t == NULL) return;
  pthread_mutex_lock(&t->mutex);
  t->stop = 1;
  pthread_cond_signal(&t->wake);
  pthread_mutex_unlock(&t->mutex);
  pthread_join(t->thread, NULL);
  pthread_cond_destroy(&t->wake);
  pthread_mutex_destroy(&t->mutex);
  free(t);
}
