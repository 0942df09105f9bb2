// Status and Result<T>: how every fallible call in ssai-lab reports failure (leveldb style).
// A Status carries a code and a message a user can act on: what is wrong and where
// ("line 7: EXTINF duration 'abc' is not a number", "byte 14: section_length 52 exceeds ...").
#ifndef SSAI_REFERENCE_BASE_STATUS_H_
#define SSAI_REFERENCE_BASE_STATUS_H_

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ssai {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,   // malformed input: playlist, SCTE-35, JSON, HTTP request
  kNotFound,
  kAlreadyExists,
  kOutOfRange,        // input ended early, value outside its range
  kDataLoss,          // checksum mismatch (CRC-32)
  kUnavailable,       // dependency down (KV, coordinator, origin)
  kDeadlineExceeded,  // dependency too slow
  kResourceExhausted, // rate limit, overload
  kUnimplemented,
  kFailedPrecondition, // well-formed input that cannot serve this operation (a playlist without PDT)
  kInternal,
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status OutOfRange(std::string m) { return {StatusCode::kOutOfRange, std::move(m)}; }
  static Status DataLoss(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status DeadlineExceeded(std::string m) { return {StatusCode::kDeadlineExceeded, std::move(m)}; }
  static Status ResourceExhausted(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
  static Status Unimplemented(std::string m) { return {StatusCode::kUnimplemented, std::move(m)}; }
  static Status FailedPrecondition(std::string m) { return {StatusCode::kFailedPrecondition, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "INVALID_ARGUMENT: line 3: ..." or "OK".
  std::string ToString() const;

  // Returns a copy whose message is prefixed with `context` ("fixtures/a.m3u8: line 3: ...").
  Status WithContext(std::string_view context) const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Result<T> holds a T or a non-OK Status (like absl::StatusOr).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok() && "Result constructed from an OK Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }

  T& value() & { assert(ok()); return std::get<T>(v_); }
  const T& value() const& { assert(ok()); return std::get<T>(v_); }
  T&& value() && { assert(ok()); return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace ssai

// Evaluates `expr` (a Status); returns it from the enclosing function when not OK.
#define SSAI_RETURN_IF_ERROR(expr)            \
  do {                                        \
    ::ssai::Status ssai_status_ = (expr);     \
    if (!ssai_status_.ok()) return ssai_status_; \
  } while (0)

#define SSAI_CONCAT_INNER_(a, b) a##b
#define SSAI_CONCAT_(a, b) SSAI_CONCAT_INNER_(a, b)
// SSAI_ASSIGN_OR_RETURN(auto x, MakeX()); declares x from a Result or returns its Status.
#define SSAI_ASSIGN_OR_RETURN(lhs, rexpr) \
  SSAI_ASSIGN_OR_RETURN_IMPL_(SSAI_CONCAT_(ssai_result_, __LINE__), lhs, rexpr)
#define SSAI_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()

#endif  // SSAI_REFERENCE_BASE_STATUS_H_
