#include "reference/base/lifetime.h"

#include <gtest/gtest.h>

#include <functional>
#include <memory>

namespace ssai {
namespace {

TEST(LifetimeTokenTest, GuardedCallbacksRunOnlyWhileTheOwnerLives) {
  int calls = 0;
  std::function<void(int)> later;
  {
    auto owner = std::make_unique<LifetimeToken>();
    std::function<void(int)> now = owner->Guard([&calls](int n) { calls += n; });
    now(2);
    EXPECT_EQ(calls, 2);
    later = owner->Guard([&calls](int n) { calls += n; });
  }
  later(5);  // the owner is gone: a no-op, not a use-after-free
  EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace ssai
