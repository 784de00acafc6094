// Rendered text lines for the OCR models: OpenCV putText with several fonts, sizes and strings, on
// light backgrounds; label 0 = upright, 1 = rotated by 180 degrees. Deterministic.
#pragma once

#include <vector>

#include <opencv2/core.hpp>

namespace q2i::testing {

struct TextLine {
  cv::Mat bgr;  // 8-bit BGR
  int label;    // 0 upright, 1 upside down
};

std::vector<TextLine> RenderTextLines(int count);

// PaddleOCR classifier preprocessing: resize to height 48 keeping the aspect ratio (width <= 192,
// bilinear), (x/255 - 0.5)/0.5, right-pad with zeros to 192, CHW.
std::vector<float> OcrClsInput(const cv::Mat& bgr);

}  // namespace q2i::testing
