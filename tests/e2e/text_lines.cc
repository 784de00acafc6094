#include "tests/e2e/text_lines.h"

#include <cmath>
#include <random>
#include <string>

#include <opencv2/imgproc.hpp>

namespace q2i::testing {

std::vector<TextLine> RenderTextLines(int count) {
  static const char* kWords[] = {"Hello World", "quant2int8", "INVOICE 2024", "Total: 42.50", "Paddle OCR",
                                 "oneDNN int8", "The quick brown fox", "Line 7 of 9", "ABC-123-XYZ",
                                 "receipt #0815", "Lorem ipsum", "shipping address"};
  static const int kFonts[] = {cv::FONT_HERSHEY_SIMPLEX, cv::FONT_HERSHEY_DUPLEX, cv::FONT_HERSHEY_COMPLEX,
                               cv::FONT_HERSHEY_TRIPLEX, cv::FONT_HERSHEY_PLAIN};
  std::mt19937 gen(4242);
  std::vector<TextLine> lines;
  for (int i = 0; i < count; ++i) {
    const std::string text = kWords[gen() % std::size(kWords)];
    const int font = kFonts[gen() % std::size(kFonts)];
    const double scale = 0.8 + (gen() % 100) / 100.0;
    const int thickness = 1 + static_cast<int>(gen() % 2);
    int baseline = 0;
    cv::Size size = cv::getTextSize(text, font, scale, thickness, &baseline);
    cv::Mat img(size.height + baseline + 12, size.width + 16, CV_8UC3,
                cv::Scalar(200 + gen() % 56, 200 + gen() % 56, 200 + gen() % 56));
    cv::putText(img, text, cv::Point(8, size.height + 6), font, scale,
                cv::Scalar(gen() % 80, gen() % 80, gen() % 80), thickness, cv::LINE_AA);
    const int label = i % 2;
    if (label == 1) cv::rotate(img, img, cv::ROTATE_180);
    lines.push_back({img, label});
  }
  return lines;
}

std::vector<float> OcrClsInput(const cv::Mat& bgr) {
  const int h = 48, max_w = 192;
  const int w = std::min(max_w, static_cast<int>(std::ceil(h * static_cast<double>(bgr.cols) / bgr.rows)));
  cv::Mat resized;
  cv::resize(bgr, resized, cv::Size(w, h), 0, 0, cv::INTER_LINEAR);
  std::vector<float> out(static_cast<size_t>(3 * h * max_w), 0.f);
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x)
        out[static_cast<size_t>((c * h + y) * max_w + x)] =
            (resized.at<cv::Vec3b>(y, x)[c] / 255.f - 0.5f) / 0.5f;
  return out;
}

}  // namespace q2i::testing
