// The coordinator's durable store for `ssai serve`: an append-only, checksummed JSON-lines journal
// (JournalDurableStore) and the small file-system seam it writes through (JournalFs/JournalFile,
// leveldb Env/WritableFile style), so that tests can inject torn writes, ENOSPC, EIO, short writes
// and failed syncs (journal_test.cc) against the same code the server runs.
#ifndef SSAI_REFERENCE_SERVER_JOURNAL_H_
#define SSAI_REFERENCE_SERVER_JOURNAL_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "reference/base/status.h"
#include "reference/ssai/env.h"

namespace ssai::server {

// A file open for appending (O_APPEND), used by one thread at a time. Errors name the file.
class JournalFile {
 public:
  virtual ~JournalFile() = default;
  // One write(2): the number of bytes written, which may be fewer than data.size() (a short
  // write: the caller writes the rest), or the error (ENOSPC, EIO, ...).
  virtual Result<size_t> Write(std::string_view data) = 0;
  virtual Status Sync() = 0;                   // fdatasync(2)
  virtual Status Truncate(uint64_t size) = 0;  // ftruncate(2); appends continue at the new end
};

// The operations the journal needs from a file system. JournalFs::Posix() is the real one.
class JournalFs {
 public:
  virtual ~JournalFs() = default;
  // The whole file. NotFound when it does not exist; any other failure (EACCES, EIO, a directory)
  // is an error: a journal that cannot be read must never pass for an empty one.
  virtual Result<std::string> ReadAll(const std::string& path) = 0;
  // Opens `path` for appending, creating it (0644) if missing; `truncate` empties it first.
  virtual Result<std::unique_ptr<JournalFile>> OpenAppend(const std::string& path, bool truncate) = 0;
  virtual Status Rename(const std::string& from, const std::string& to) = 0;  // atomic on POSIX
  virtual Status Remove(const std::string& path) = 0;
  virtual Status SyncDir(const std::string& dir) = 0;  // makes creations and renames in `dir` durable
  static JournalFs* Posix();
};

// One journal line for a put (value) or a delete (nullopt), newline included:
//   {"key":"k","op":"put","value":"v","crc32":"1c291ca3"}\n
// `crc32` is zlib's CRC-32 (ISO-HDLC) of the line's bytes before `,"crc32"`, in 8 lowercase hex
// digits, always the last member, so a reader checks it without re-serialising anything.
std::string JournalRecordLine(std::string_view key, const std::optional<std::string>& value);

// DurableStore over an append-only JSON-lines journal, fdatasync'ed before `done` reports OK;
// replayed by Open. An empty path keeps everything in memory (development: an acknowledged cue
// does not survive a restart).
//
// Replay (Open): every line must be a record: an object with exactly "op" ("put"|"del"), "key"
// (string), "value" (string, puts only) and "crc32" (a line written before checksums, without
// "crc32", is accepted until the first checksummed line, so an upgrade keeps its state). A line
// that fails — checksum mismatch, not JSON, wrong types, unknown field, missing checksum — is
// corruption: Open fails with DataLoss "journal PATH: line N: REASON" and the server does not
// start. The bytes after the last newline are a torn final record (a crash mid-write; never
// acknowledged, since the newline is written before the sync that acknowledges): they are cut
// off with ftruncate (and logged) before anything is appended. A journal that exists but cannot
// be read is an error, never empty state.
//
// Group commit on a writer thread: Put/Delete queue the record and return; the writer takes
// everything queued, writes it with one write(2) (more only if short) and one fdatasync, then
// hands the group back through `post` (the server: the core io_context), where each record is
// applied to the store's map and its `done` runs, in submission order. So the core thread never
// waits for the disk, and a burst of cues costs one sync, not one each. Scan reads the
// acknowledged map (start-up only). `done` always runs through `post`, never inside Put/Delete.
// Completions posted after the store is destroyed are dropped (their records were written when
// the writer drained its queue).
//
// Write failures (ENOSPC, EIO, a write making no progress, a failed fdatasync): the group is not
// acknowledged (each `done` gets the error) and the file is truncated back to the end of the last
// acknowledged group (and synced), so the next group starts on a clean line. If that truncation
// fails, the store fails closed: every later record gets an error naming the first failure,
// nothing more is appended after the unknown tail, and a restart (which cuts a torn tail) recovers.
//
// Compaction (on the writer thread, from its own copy of the live keys): once the journal holds
// more than `compact_after_records` records and more than twice the live keys, it is rewritten
// with one put per live key: written to PATH.tmp, fsync'ed, renamed over PATH (atomic on POSIX),
// then the directory is fsync'ed. A crash at any point leaves either the old journal or the new
// one, both complete. A failed compaction removes PATH.tmp and keeps appending to the old journal.
class JournalDurableStore : public DurableStore {
 public:
  using Post = std::function<void(std::function<void()>)>;
  struct Options {
    int64_t compact_after_records = 1000;
    // Records per write+fdatasync; 1 = one sync per record (the baseline in bench/README.md).
    size_t max_group_records = 4096;
    JournalFs* fs = nullptr;  // nullptr: JournalFs::Posix()
    // Recovery notes (a torn final record cut off); nullptr: one line on stderr.
    std::function<void(const std::string&)> log = nullptr;
  };
  static Result<std::unique_ptr<JournalDurableStore>> Open(const std::string& path, Post post, Options options);
  static Result<std::unique_ptr<JournalDurableStore>> Open(const std::string& path, Post post) {
    return Open(path, std::move(post), Options{});
  }
  ~JournalDurableStore() override;  // writes what is queued, then stops the writer
  // A key or value that is not UTF-8 is refused (InvalidArgument through `done`): JSON cannot hold it.
  void Put(std::string_view key, std::string value, DoneCallback done) override;
  void Delete(std::string_view key, DoneCallback done) override;
  void Scan(std::string_view prefix,
            std::function<void(Result<std::vector<std::pair<std::string, std::string>>>)> done) override;
  size_t size() const { return acked_->size(); }  // acknowledged live keys
  // Writer-side counters, readable from any thread.
  int64_t records() const { return records_.load(); }  // lines in the journal file now
  int64_t syncs() const { return syncs_.load(); }      // write+fdatasync groups so far
  int64_t compactions() const { return compactions_.load(); }
  int64_t compaction_failures() const { return compaction_failures_.load(); }
  int64_t write_failures() const { return write_failures_.load(); }  // groups answered with an error
  bool failed_closed() const { return failed_closed_.load(); }
  int64_t torn_bytes_cut() const { return torn_bytes_cut_; }  // by Open
  // Tests: while held, the writer leaves the queue alone (to build a group deterministically).
  void HoldWriterForTest(bool hold);

 private:
  struct Record {
    std::string line;
    std::string key;
    std::optional<std::string> value;  // nullopt: delete
    DoneCallback done;
  };
  using Map = std::map<std::string, std::string, std::less<>>;
  JournalDurableStore() = default;
  Status Replay(const std::string& text, uint64_t* complete_bytes);
  void Submit(Record record);
  void PostAcknowledgements(std::vector<Record> group, Status status);
  void WriterLoop();
  Status Append(const std::string& text);
  void MaybeCompact();
  Status Compact();

  std::string path_;
  Post post_;
  Options options_;
  JournalFs* fs_ = nullptr;
  std::unique_ptr<JournalFile> file_;  // the writer's, once started
  uint64_t good_bytes_ = 0;            // writer: end of the last acknowledged group
  Status failed_;                      // writer: set when the store fails closed
  Map written_;                        // writer thread: live keys as written, for compaction
  std::shared_ptr<Map> acked_ = std::make_shared<Map>();  // core thread: acknowledged state
  std::atomic<int64_t> records_{0}, syncs_{0}, compactions_{0}, compaction_failures_{0}, write_failures_{0};
  std::atomic<bool> failed_closed_{false};
  int64_t torn_bytes_cut_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Record> queue_;  // guarded by mu_
  bool stop_ = false, hold_ = false;  // guarded by mu_
  std::thread writer_;
};

}  // namespace ssai::server

#endif  // SSAI_REFERENCE_SERVER_JOURNAL_H_
