// Status and StatusOr<T>: errors as values, with a code and a human-readable message that names the
// file, op or variable concerned. Library code never throws across its boundary and never aborts on bad
// input; Q2I_CHECK (support/check.h) is for our own invariants only.
#pragma once

#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace q2i {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // bad flag or option value
  kInvalidModel,     // malformed program, tensor or scale in a model
  kNotFound,         // missing file, variable or op
  kUnsupported,      // known to be valid input, but we do not handle it
  kIo,               // read/write failure
  kInternal,         // a bug of ours surfaced as a value
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "<code>: <message>"; "OK" when ok().
  std::string ToString() const;

  // Prepends context: "while loading 'x': <old message>". No-op on OK.
  Status WithContext(std::string_view context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status OkStatus() { return Status(); }

namespace internal {
template <typename... Args>
std::string StrCat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}
}  // namespace internal

template <typename... Args>
Status InvalidArgument(const Args&... args) {
  return Status(StatusCode::kInvalidArgument, internal::StrCat(args...));
}
template <typename... Args>
Status InvalidModel(const Args&... args) {
  return Status(StatusCode::kInvalidModel, internal::StrCat(args...));
}
template <typename... Args>
Status NotFound(const Args&... args) {
  return Status(StatusCode::kNotFound, internal::StrCat(args...));
}
template <typename... Args>
Status Unsupported(const Args&... args) {
  return Status(StatusCode::kUnsupported, internal::StrCat(args...));
}
template <typename... Args>
Status IoError(const Args&... args) {
  return Status(StatusCode::kIo, internal::StrCat(args...));
}
template <typename... Args>
Status InternalError(const Args&... args) {
  return Status(StatusCode::kInternal, internal::StrCat(args...));
}

template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(const Status& status) : status_(status) { EnsureError(); }  // NOLINT
  StatusOr(Status&& status) : status_(std::move(status)) { EnsureError(); }  // NOLINT
  StatusOr(const T& value) : value_(value) {}  // NOLINT
  StatusOr(T&& value) : value_(std::move(value)) {}  // NOLINT
  template <typename U>
    requires(std::is_convertible_v<U &&, T> && !std::is_same_v<std::decay_t<U>, T> &&
             !std::is_same_v<std::decay_t<U>, Status>)
  StatusOr(U&& value) : value_(T(std::forward<U>(value))) {}  // NOLINT

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T&& operator*() && { return std::move(*value_); }
  // The value, or `fallback` when this holds an error.
  T value_or(T fallback) const& { return ok() ? *value_ : std::move(fallback); }

  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  void EnsureError() {
    if (status_.ok()) status_ = Status(StatusCode::kInternal, "StatusOr constructed from OK status");
  }
  Status status_;
  std::optional<T> value_;
};

}  // namespace q2i

#define Q2I_STATUS_CONCAT_INNER(a, b) a##b
#define Q2I_STATUS_CONCAT(a, b) Q2I_STATUS_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function when `expr` is not OK.
#define Q2I_RETURN_IF_ERROR(expr)                  \
  do {                                             \
    ::q2i::Status q2i_status_tmp_ = (expr);        \
    if (!q2i_status_tmp_.ok()) return q2i_status_tmp_; \
  } while (0)

// `Q2I_ASSIGN_OR_RETURN(auto x, MakeX());` declares x, or returns the error.
#define Q2I_ASSIGN_OR_RETURN(lhs, expr) \
  Q2I_ASSIGN_OR_RETURN_IMPL(Q2I_STATUS_CONCAT(q2i_statusor_, __LINE__), lhs, expr)
#define Q2I_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
