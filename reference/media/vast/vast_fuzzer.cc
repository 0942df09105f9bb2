// libFuzzer target: arbitrary bytes as a VAST response, and as every wrapper document of a chain.
// Invariants: never crash or hang; a failure always carries a VAST error code (100..999); the
// resolver stops within its bounds (depth, documents, bytes) whatever the documents say.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "reference/media/vast/vast.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ssai::vast;
  const std::string_view xml(reinterpret_cast<const char*>(data), size);
  auto doc = Parse(xml);
  if (!doc.ok()) {
    const int code = ErrorCodeOf(doc.status());
    if (code < 100 || code > 999) std::abort();
  }
  // The same bytes answer every wrapper fetch: loops and depth must end the chain.
  ResolverOptions options;
  Resolver r(options);
  r.Start(xml);
  int steps = 0;
  while (auto url = r.next_url()) {
    (void)ExpandErrorMacro(*url, 303);
    if (++steps > options.max_documents + 1) std::abort();
    r.OnFetched(xml);
  }
  auto pod = r.Finish();
  if (!pod.ok() && ErrorCodeOf(pod.status()) < 100) std::abort();
  if (pod.ok() && pod->ads.empty()) std::abort();
  return 0;
}
