#include "data_prep/progress_bar.h"

#include <algorithm>

namespace q2i {

std::string FormatProgressBar(int64_t done, int64_t total, int width) {
  width = std::max(width, 1);
  done = std::clamp<int64_t>(done, 0, std::max<int64_t>(total, 0));
  const int filled = total > 0 ? static_cast<int>(done * width / total) : 0;
  std::string bar = "[";
  for (int i = 0; i < width; ++i) {
    if (i < filled) {
      bar += '=';
    } else if (i == filled && done < total) {
      bar += '>';
    } else {
      bar += ' ';
    }
  }
  bar += "] " + std::to_string(done) + "/" + std::to_string(total);
  return bar;
}

ProgressBar::ProgressBar(std::ostream& out, int64_t total, int width) : out_(out), total_(total), width_(width) {}

void ProgressBar::Update(int64_t done) {
  last_done_ = done;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  Draw(done);
}

void ProgressBar::Finish() {
  if (finished_) return;
  finished_ = true;
  Draw(last_done_);
  out_ << '\n' << std::flush;
}

void ProgressBar::Draw(int64_t done) {
  out_ << '\r' << FormatProgressBar(done, total_, width_) << std::flush;
  drawn_ = true;
  last_draw_ = std::chrono::steady_clock::now();
}

}  // namespace q2i
