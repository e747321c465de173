// flowshield.hpp — a header-only C++17 RAII wrapper over flowshield.h (the C library does the work).
// flowshield::Client owns one fs_client (one allocation at construction, freed by the destructor);
// move-only; like fs_client, not thread-safe: one thread at a time, or use SolverThread's lock().
#ifndef FLOWSHIELD_HPP
#define FLOWSHIELD_HPP
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include "flowshield.h"
#include "flowshield_thread.h"

namespace flowshield {

/** Thrown by constructors only; every other call returns the C status code (no exceptions in a frame). */
class Error : public std::runtime_error {
 public:
  explicit Error(int code) : std::runtime_error(fs_strerror(code)), code_(code) {}
  int code() const noexcept { return code_; }

 private:
  int code_;
};

struct Config : fs_client_config {
  Config() noexcept { fs_client_config_default(this); }
};

class Client {
 public:
  explicit Client(const Config &cfg = Config()) {
    int r = fs_client_create(&cfg, &c_);
    if (r != FS_OK) throw Error(r);
  }
  ~Client() { fs_client_destroy(c_); }
  Client(const Client &) = delete;
  Client &operator=(const Client &) = delete;
  Client(Client &&o) noexcept : c_(std::exchange(o.c_, nullptr)) {}
  Client &operator=(Client &&o) noexcept {
    if (this != &o) { fs_client_destroy(c_); c_ = std::exchange(o.c_, nullptr); }
    return *this;
  }

  int start(uint64_t now_ms) noexcept { return fs_client_start(c_, now_ms); }
  int send(const void *data, size_t len, uint64_t now_ms) noexcept { return fs_client_send(c_, static_cast<const uint8_t *>(data), len, now_ms); }
  int send(const std::string &s, uint64_t now_ms) noexcept { return send(s.data(), s.size(), now_ms); }
  /** FS_DATAGRAM_GAME: the game's data; anything else: the SDK's (see flowshield.h). */
  int onDatagram(const void *data, size_t len, uint64_t now_ms) noexcept { return fs_client_on_datagram(c_, static_cast<const uint8_t *>(data), len, now_ms); }
  int solveStep(uint64_t max_hashes) noexcept { return fs_client_solve_step(c_, max_hashes); }
  int nextDatagram(void *out, size_t cap, uint64_t now_ms) noexcept { return fs_client_next_datagram(c_, static_cast<uint8_t *>(out), cap, now_ms); }
  bool solving() const noexcept { return fs_client_solving(c_) != 0; }
  fs_client_stats stats() const noexcept { fs_client_stats s; fs_client_get_stats(c_, &s); return s; }
  fs_client *get() noexcept { return c_; }

 private:
  fs_client *c_ = nullptr;
};

/** Solves the client's challenges on a thread; lock() (a BasicLockable) guards every call on the client. */
class SolverThread {
 public:
  explicit SolverThread(Client &client, uint64_t slice_hashes = 0) {
    int r = fs_solver_thread_start(client.get(), slice_hashes, &t_);
    if (r != FS_OK) throw Error(r);
  }
  ~SolverThread() { fs_solver_thread_stop(t_); }
  SolverThread(const SolverThread &) = delete;
  SolverThread &operator=(const SolverThread &) = delete;
  void lock() noexcept { fs_solver_thread_lock(t_); }
  void unlock() noexcept { fs_solver_thread_unlock(t_); }

 private:
  fs_solver_thread *t_ = nullptr;
};

}  // namespace flowshield
#endif
