// A one-line text progress bar, "[=====>    ] 512/1000", redrawn in place ('\r') on a stream (stderr
// in the tool) at most every 100 ms, plus a final redraw and newline on Finish().
#pragma once

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>

namespace q2i {

// "[" + width cells + "] done/total"; total <= 0 gives an empty bar.
std::string FormatProgressBar(int64_t done, int64_t total, int width);

class ProgressBar {
 public:
  ProgressBar(std::ostream& out, int64_t total, int width = 40);
  void Update(int64_t done);  // redraws unless the last redraw was < 100 ms ago
  void Finish();              // final redraw and newline (once; later calls do nothing)

 private:
  void Draw(int64_t done);
  std::ostream& out_;
  int64_t total_;
  int width_;
  int64_t last_done_ = 0;
  bool drawn_ = false;
  bool finished_ = false;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace q2i
