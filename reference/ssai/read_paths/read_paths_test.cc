// The read paths on their own (read_path.h), behind a host that records where each one hands
// the request: which store it reads, when it asks the coordinator and with what source, and
// what state it finishes with. manifest_path_test.cc covers them inside a whole edge.
#include "reference/ssai/read_paths/read_path.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "reference/ssai/read_paths/markers.h"
#include "reference/ssai/testing/fake_env.h"

namespace ssai::read_paths {
namespace {

using testing::FakeKvStore;
using testing::ManualScheduler;

UnixMicros Iso(const char* text) { return *ParseIso8601(text); }

std::string Fixture(const std::string& path) {
  std::ifstream in("fixtures/streams/" + path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path << " (tests run from the repository root)";
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class RecordingHost : public ReadHost {
 public:
  explicit RecordingHost(const BuildSpec& build, const char* now = "2026-01-15T12:00:40.000Z")
      : sched_(Iso(now)), kv_(&sched_), build_(build) {}
  UnixMicros Now() const override { return sched_.Now(); }
  KvStore& Kv() override { return kv_; }
  CoordinatorClient& Coordinator() override { return coordinator_; }
  const BuildSpec& Build() const override { return build_; }
  const ManifestPathOptions& Options() const override { return options_; }
  void CallCoordinator(OpPtr, StateSource source) override { coordinator_calls.push_back(source); }
  void FinishState(OpPtr op, StateSource source, StatePtr state) override {
    finished.push_back(source);
    op->state = std::move(state);
    path_->AfterState(*this, *op);
  }

  OpPtr Request(const std::string& origin_text) {
    auto op = std::make_shared<ManifestOp>();
    channel_.org = "demo";
    channel_.channel = "sports";
    op->channel = &channel_;
    op->channel_memo = &memo_;
    Result<hls::MediaPlaylist> p = hls::ParseMedia(origin_text);
    EXPECT_TRUE(p.ok()) << p.status().message();
    op->origin_doc = std::make_shared<const OriginDoc>(hls::Playlist(std::move(p).value()));
    return op;
  }
  void Read(const OpPtr& op) {
    path_ = MakeReadPath(build_.read_path);
    path_->Read(*this, op);
    sched_.RunDue();
  }

  std::vector<StateSource> coordinator_calls;
  std::vector<StateSource> finished;
  ManualScheduler sched_;
  FakeKvStore kv_;

 private:
  class NoCoordinator : public CoordinatorClient {
    void GetChannelState(std::string_view, StateCallback) override {}
  };
  BuildSpec build_;
  ManifestPathOptions options_;
  NoCoordinator coordinator_;
  ChannelConfig channel_;
  ChannelMemo memo_;
  std::unique_ptr<StateReadPath> path_;
};

BuildSpec WithPath(ReadPath path) {
  BuildSpec b;
  b.read_path = path;
  return b;
}

// A break 12:00:18-12:00:48 (CUE-OUT:30 at msn 2403; its CUE-IN at 12:00:36 comes in 001).
const std::string kOut = "early_cue_in/000.m3u8";
// OATCLS splice_insert, event 777, 12:00:08-12:00:18.
const std::string kSpliceInsert = "cue_repeated_every_segment/000.m3u8";

AdBreakState Break(const std::string& id, const char* start, const char* end, int64_t discontinuities_before) {
  AdBreakState b;
  b.channel_id = "ch_demo_sports";
  b.event_id = id;
  b.start_time = Iso(start);
  b.end_time = Iso(end);
  b.duration_s = MicrosToSeconds(b.end_time - b.start_time);
  b.discontinuities_before = discontinuities_before;
  return b;
}

TEST(ReadPathsTest, DoOnlyAsksTheCoordinatorAndReadsNoKv) {
  RecordingHost host(WithPath(ReadPath::kCoordinatorOnly));
  auto op = host.Request(Fixture(kOut));
  host.Read(op);
  EXPECT_EQ(host.coordinator_calls, std::vector<StateSource>({StateSource::kCoordinator}));
  EXPECT_EQ(op->response.kv_reads, 0);
}

TEST(ReadPathsTest, OnAKvMissTheHybridsAskTheCoordinatorAndStatelessServesNoState) {
  for (ReadPath path : {ReadPath::kKvListThenCoordinator, ReadPath::kKvKeyThenCoordinator, ReadPath::kChannelState}) {
    RecordingHost host(WithPath(path));
    // kv-hybrid-direct reads the key the markers name: an SCTE-35 splice_insert's event id.
    auto op = host.Request(Fixture(path == ReadPath::kKvKeyThenCoordinator ? kSpliceInsert : kOut));
    host.Read(op);
    EXPECT_EQ(host.coordinator_calls, std::vector<StateSource>({StateSource::kKvMiss})) << ReadPathName(path);
    EXPECT_EQ(op->response.kv_reads, 1) << ReadPathName(path);
  }
  RecordingHost host(WithPath(ReadPath::kKvListOnly));
  auto op = host.Request(Fixture(kOut));
  host.Read(op);
  EXPECT_TRUE(host.coordinator_calls.empty());
  EXPECT_EQ(host.finished, std::vector<StateSource>({StateSource::kNone}));
}

TEST(ReadPathsTest, AKvHitIsTheStateWithItsLedger) {
  struct Case {
    ReadPath path;
    std::string fixture;
    AdBreakState b;
    const char* now;
  };
  const Case cases[] = {
      {ReadPath::kKvListThenCoordinator, kOut,
       Break("cue-2403", "2026-01-15T12:00:18.000Z", "2026-01-15T12:00:48.000Z", 4), "2026-01-15T12:00:40.000Z"},
      {ReadPath::kKvListOnly, kOut, Break("cue-2403", "2026-01-15T12:00:18.000Z", "2026-01-15T12:00:48.000Z", 4),
       "2026-01-15T12:00:40.000Z"},
      {ReadPath::kKvKeyThenCoordinator, kSpliceInsert,
       Break("777", "2026-01-15T12:00:08.000Z", "2026-01-15T12:00:18.000Z", 4), "2026-01-15T12:00:12.000Z"},
  };
  for (const Case& c : cases) {
    RecordingHost host(WithPath(c.path), c.now);
    std::optional<Status> put;
    host.kv_.Put(AdBreakKey("ch_demo_sports", c.b.event_id), SerializeAdBreakState(c.b), 120,
                 [&](Status s) { put = s; });
    auto op = host.Request(Fixture(c.fixture));
    host.Read(op);
    EXPECT_TRUE(host.coordinator_calls.empty()) << ReadPathName(c.path);
    ASSERT_EQ(host.finished, std::vector<StateSource>({StateSource::kKvHit})) << ReadPathName(c.path);
    ASSERT_TRUE(op->state != nullptr);
    EXPECT_EQ(op->state->breaks.size(), 1u);
    EXPECT_EQ(op->state->discontinuities_total, 6) << ReadPathName(c.path);
  }
}

TEST(ReadPathsTest, ChannelStateProbesTheCoordinatorAboutAnUnexplainedMarkerOnce) {
  RecordingHost host(WithPath(ReadPath::kChannelState));
  ChannelState empty;
  empty.channel_id = "ch_demo_sports";
  empty.version = 3;
  std::optional<Status> put;
  host.kv_.Put(ChannelStateKey("ch_demo_sports"), SerializeChannelState(empty), 300, [&](Status s) { put = s; });
  auto op = host.Request(Fixture(kOut));
  host.Read(op);
  EXPECT_TRUE(op->response.coordinator_probe);
  EXPECT_EQ(host.coordinator_calls, std::vector<StateSource>({StateSource::kKvMiss}));
  // The probe is still out: the next request with the same marker waits for its answer.
  auto op2 = host.Request(Fixture(kOut));
  op2->channel_memo->probe_in_flight = true;
  host.Read(op2);
  EXPECT_EQ(host.coordinator_calls.size(), 1u);
  EXPECT_TRUE(host.finished.empty());
  EXPECT_EQ(op2->channel_memo->probe_waiters.size(), 1u);
}

TEST(ReadPathsTest, DefectTrustCachedMissNeverReadsAgain) {
  BuildSpec b = WithPath(ReadPath::kChannelState);
  b.defects.trust_cached_miss = true;
  RecordingHost host(b);
  auto op = host.Request(Fixture(kOut));
  host.Read(op);
  auto op2 = host.Request(Fixture(kOut));
  host.Read(op2);
  EXPECT_EQ(op2->response.kv_reads, 0);
  EXPECT_EQ(host.finished, std::vector<StateSource>({StateSource::kNone, StateSource::kNone}));
  EXPECT_TRUE(host.coordinator_calls.empty());
}

TEST(ReadPathsTest, StatelessHoldsBackTheSegmentsFromAMarkerKvDoesNotExplain) {
  // The OUT's segment (12:00:18) is new: it is held back for at most one target duration (6 s)
  // after it ends.
  RecordingHost host(WithPath(ReadPath::kKvListOnly), "2026-01-15T12:00:25.000Z");
  auto op = host.Request(Fixture(kOut));
  const size_t before = op->origin().segments().size();
  std::optional<Unexplained> u = FindUnexplainedMarker(*op->origin_doc, nullptr);
  ASSERT_TRUE(u.has_value());
  host.Read(op);
  EXPECT_EQ(op->origin().segments().size(), u->segment_index);
  EXPECT_LT(op->origin().segments().size(), before);
  ASSERT_FALSE(op->response.warnings.empty());
  EXPECT_NE(op->response.warnings.back().find("held back"), std::string::npos);
}

TEST(ReadPathsTest, MarkersOpenOrEndBreaks) {
  RecordingHost host(WithPath(ReadPath::kKvListOnly));
  auto op = host.Request(Fixture("early_cue_in/001.m3u8"));
  int opens = 0, ends = 0;
  for (const cues::Marker& m : op->origin_doc->Markers().markers) {
    std::optional<bool> o = MarkerOpensBreak(m);
    if (o) ++(*o ? opens : ends);
  }
  EXPECT_GT(opens, 0);
  EXPECT_EQ(ends, 1);
  // A state with the break explains the OUT, but not an IN inside the break's planned end.
  ChannelState s;
  AdBreakState b;
  b.start_time = Iso("2026-01-15T12:00:18.000Z");
  b.end_time = Iso("2026-01-15T12:00:48.000Z");
  s.breaks.push_back(b);
  std::optional<Unexplained> u = FindUnexplainedMarker(*op->origin_doc, &s);
  ASSERT_TRUE(u.has_value());
  EXPECT_NE(u->identity.find("CUE-IN"), std::string::npos);
  s.breaks[0].end_time = Iso("2026-01-15T12:00:36.000Z");  // the state knows of the early IN
  EXPECT_FALSE(FindUnexplainedMarker(*op->origin_doc, &s).has_value());
}

}  // namespace
}  // namespace ssai::read_paths
