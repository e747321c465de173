// A game loop with the C++ wrapper: the engine's own "socket" (here a loop-back that plays the
// edge: it challenges the hello and echoes game payloads once the answer arrives), a per-frame
// solve budget, and the same loop again with a SolverThread. `--self-test` exits 1 on a mismatch.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <string>
#include <thread>
#include <vector>
#include "flowshield.hpp"

namespace {

using Bytes = std::vector<uint8_t>;

// Plays the edge's part for the example: a challenge in reply to the hello, then echoes.
struct FakeEdge {
  std::deque<Bytes> toClient;
  std::vector<std::string> origin;
  void receive(const uint8_t *d, size_t n) {
    if (n >= 4 && std::memcmp(d, "FSHI", 4) == 0) {
      Bytes c(FS_CHALLENGE_SIZE, 0);
      std::memcpy(c.data(), "FSCH", 4);
      c[4] = 1; c[12] = 1; c[13] = 10; c[14] = 8;  // issuedAt 1, 8 x 10 bits
      for (int i = 0; i < 16; i++) c[41 + i] = static_cast<uint8_t>(i * 13);
      toClient.push_back(c);
    } else if (n >= FS_ANSWER_HEADER_SIZE && std::memcmp(d, "FSAN", 4) == 0) {
      size_t head = FS_ANSWER_HEADER_SIZE + 4u * d[14];
      if (n > head) echo(std::string(reinterpret_cast<const char *>(d) + head, n - head));
    } else {
      echo(std::string(reinterpret_cast<const char *>(d), n));
    }
  }
  void echo(const std::string &s) {
    origin.push_back(s);
    std::string r = "echo: " + s;
    toClient.emplace_back(r.begin(), r.end());
  }
};

uint64_t nowMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

// One "frame": hand over received datagrams, solve within budget, send what is due.
template <typename Lock>
int frame(flowshield::Client &c, FakeEdge &edge, Lock &lock, bool solveHere, std::vector<std::string> &replies) {
  std::lock_guard<Lock> guard(lock);
  uint64_t now = nowMs();
  while (!edge.toClient.empty()) {
    Bytes d = edge.toClient.front();
    edge.toClient.pop_front();
    if (c.onDatagram(d.data(), d.size(), now) == FS_DATAGRAM_GAME) replies.emplace_back(d.begin(), d.end());
  }
  if (solveHere && c.solving()) c.solveStep(4096);  // a few hundred microseconds a frame
  uint8_t out[1500];
  int n;
  while ((n = c.nextDatagram(out, sizeof out, now)) > 0) edge.receive(out, static_cast<size_t>(n));
  return n;
}

struct NoLock {
  void lock() {}
  void unlock() {}
};

bool play(bool threaded) {
  flowshield::Config cfg;
  flowshield::Client client(cfg);
  FakeEdge edge;
  std::vector<std::string> replies;
  client.start(nowMs());
  for (int i = 1; i <= 3; i++) client.send("move " + std::to_string(i), nowMs());
  NoLock none;
  std::unique_ptr<flowshield::SolverThread> solver;
  if (threaded) solver = std::make_unique<flowshield::SolverThread>(client);
  for (int f = 0; f < 20000 && replies.size() < 3; f++) {
    int r = threaded ? frame(client, edge, *solver, false, replies) : frame(client, edge, none, true, replies);
    if (r < 0) { std::printf("error: %s\n", fs_strerror(r)); return false; }
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  solver.reset();
  auto st = client.stats();
  std::printf("%s: %zu replies, %u challenge(s), %llu hashes\n", threaded ? "thread" : "frames", replies.size(), st.challenges,
              static_cast<unsigned long long>(st.last_solve_tries));
  for (auto &r : replies) std::printf("  server: %s\n", r.c_str());
  return replies == std::vector<std::string>{"echo: move 1", "echo: move 2", "echo: move 3"} && st.solved == 1 &&
         edge.origin.size() == 3;
}

}  // namespace

int main(int argc, char **argv) {
  bool ok = play(false) && play(true);
  bool strict = argc > 1 && std::string(argv[1]) == "--self-test";
  if (!ok) std::printf("unexpected replies\n");
  return ok || !strict ? 0 : 1;
}
