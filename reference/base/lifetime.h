// Callbacks that may outlive the object that issued them (a KV read, a timer, a decision answered
// after the coordinator was destroyed): `Guard(f)` wraps f so that it runs only while the
// LifetimeToken's owner is alive, and is a silent no-op afterwards. Single-threaded: the core runs
// every callback on its scheduler's thread.
#ifndef SSAI_REFERENCE_BASE_LIFETIME_H_
#define SSAI_REFERENCE_BASE_LIFETIME_H_

#include <memory>
#include <utility>

namespace ssai {

class LifetimeToken {
 public:
  LifetimeToken() = default;
  // A copy would share the token and keep callbacks alive past their owner: not copyable.
  LifetimeToken(const LifetimeToken&) = delete;
  LifetimeToken& operator=(const LifetimeToken&) = delete;

  template <typename F>
  auto Guard(F f) const {
    return [alive = std::weak_ptr<const int>(alive_), f = std::move(f)](auto&&... args) mutable {
      if (alive.expired()) return;
      f(std::forward<decltype(args)>(args)...);
    };
  }

 private:
  std::shared_ptr<const int> alive_ = std::make_shared<const int>(0);
};

}  // namespace ssai

#endif  // SSAI_REFERENCE_BASE_LIFETIME_H_
