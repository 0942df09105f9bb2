#include "reference/server/journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <utility>

#include <nlohmann/json.hpp>

#include "reference/base/json_text.h"
#include "reference/base/strings.h"
#include "reference/io/files.h"

namespace ssai::server {

using Json = nlohmann::json;

// ---------------------------------------------------------------------------------------------
// JournalFs::Posix

namespace {

std::string Errno(std::string_view what) { return std::string(what) + ": " + std::strerror(errno); }

class PosixJournalFile : public JournalFile {
 public:
  PosixJournalFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixJournalFile() override { ::close(fd_); }
  Result<size_t> Write(std::string_view data) override {
    for (;;) {
      const ssize_t n = ::write(fd_, data.data(), data.size());
      if (n >= 0) return static_cast<size_t>(n);
      if (errno != EINTR) return Status::Unavailable(Errno(path_ + ": write"));
    }
  }
  Status Sync() override {
    if (::fdatasync(fd_) != 0) return Status::Unavailable(Errno(path_ + ": fdatasync"));
    return Status::Ok();
  }
  Status Truncate(uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return Status::Unavailable(Errno(path_ + ": ftruncate"));
    return Status::Ok();
  }

 private:
  std::string path_;
  int fd_;
};

class PosixJournalFs : public JournalFs {
 public:
  // The one whole-file reader (kNotFound when the journal does not exist yet).
  Result<std::string> ReadAll(const std::string& path) override { return io::ReadFileToString(path); }
  Result<std::unique_ptr<JournalFile>> OpenAppend(const std::string& path, bool truncate) override {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0), 0644);
    if (fd < 0) return Status::Unavailable(Errno(path + ": cannot open for appending"));
    return std::unique_ptr<JournalFile>(std::make_unique<PosixJournalFile>(path, fd));
  }
  Status Rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return Status::Unavailable(Errno(to + ": rename"));
    return Status::Ok();
  }
  Status Remove(const std::string& path) override {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Status::Unavailable(Errno(path + ": unlink"));
    return Status::Ok();
  }
  Status SyncDir(const std::string& dir) override {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return Status::Unavailable(Errno(dir + ": open directory"));
    const bool ok = ::fsync(fd) == 0;
    Status s = ok ? Status::Ok() : Status::Unavailable(Errno(dir + ": fsync directory"));
    ::close(fd);
    return s;
  }
};

}  // namespace

JournalFs* JournalFs::Posix() {
  static PosixJournalFs* fs = new PosixJournalFs();  // never destroyed: used by writer threads until exit
  return fs;
}

// ---------------------------------------------------------------------------------------------
// Record format

namespace {

// `,"crc32":"xxxxxxxx"}` closes every checksummed line; the CRC covers the bytes before it.
constexpr std::string_view kCrcOpen = ",\"crc32\":\"";
constexpr size_t kCrcSuffixBytes = kCrcOpen.size() + 8 + 2;

uint32_t Crc32(std::string_view bytes) {
  uLong crc = ::crc32(0L, Z_NULL, 0);
  // zlib takes uInt lengths; records are far below 4 GiB, but loop rather than assume.
  while (!bytes.empty()) {
    const uInt n = static_cast<uInt>(std::min<size_t>(bytes.size(), 1u << 30));
    crc = ::crc32(crc, reinterpret_cast<const Bytef*>(bytes.data()), n);
    bytes.remove_prefix(n);
  }
  return static_cast<uint32_t>(crc);
}

std::string Hex8(uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return std::string(buf, 8);
}

struct ParsedRecord {
  std::string key;
  std::optional<std::string> value;  // nullopt: delete
  bool checksummed = false;
};

// One line (without its newline) → a record, or the reason it is not one.
Result<ParsedRecord> ParseRecordLine(std::string_view line) {
  ParsedRecord rec;
  if (line.size() > kCrcSuffixBytes && line.back() == '}' && line[line.size() - 2] == '"' &&
      line.substr(line.size() - kCrcSuffixBytes, kCrcOpen.size()) == kCrcOpen) {
    const std::string_view hex = line.substr(line.size() - 10, 8);
    uint32_t want = 0;
    for (char c : hex) {
      int d = -1;
      if (c >= '0' && c <= '9') d = c - '0';
      if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
      if (d < 0) return Status::DataLoss("malformed checksum '" + EscapeInvalidUtf8(hex) + "'");
      want = (want << 4) | static_cast<uint32_t>(d);
    }
    const uint32_t got = Crc32(line.substr(0, line.size() - kCrcSuffixBytes));
    if (got != want) return Status::DataLoss("checksum mismatch");
    rec.checksummed = true;
  }
  if (Status s = CheckJsonNesting(line, 4); !s.ok()) return Status::DataLoss("not a journal record: " + s.message());
  try {
    const Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return Status::DataLoss("not a journal record (not JSON)");
    if (!j.is_object()) return Status::DataLoss("not a journal record (not a JSON object)");
    for (const auto& item : j.items()) {
      const std::string& name = item.key();
      if (name != "op" && name != "key" && name != "value" && name != "crc32") {
        return Status::DataLoss("unknown field '" + EscapeInvalidUtf8(name) + "'");
      }
    }
    if (j.contains("crc32") && !rec.checksummed) return Status::DataLoss("malformed checksum");
    const auto op = j.find("op");
    if (op == j.end() || !op->is_string()) return Status::DataLoss("\"op\" is missing or not a string");
    const auto key = j.find("key");
    if (key == j.end() || !key->is_string()) return Status::DataLoss("\"key\" is missing or not a string");
    rec.key = key->get<std::string>();
    const auto value = j.find("value");
    const std::string& op_name = op->get_ref<const std::string&>();
    if (op_name == "put") {
      if (value == j.end() || !value->is_string()) return Status::DataLoss("put: \"value\" is missing or not a string");
      rec.value = value->get<std::string>();
    } else if (op_name == "del") {
      if (value != j.end()) return Status::DataLoss("del with a \"value\"");
    } else {
      return Status::DataLoss("unknown op '" + EscapeInvalidUtf8(op_name) + "'");
    }
  } catch (const Json::exception& e) {  // not expected after the checks above; never abort on a file
    return Status::DataLoss(std::string("not a journal record: ") + e.what());
  }
  return rec;
}

}  // namespace

std::string JournalRecordLine(std::string_view key, const std::optional<std::string>& value) {
  Json j{{"op", value ? "put" : "del"}, {"key", key}};
  if (value) j["value"] = *value;
  std::string line = j.dump();  // callers pass UTF-8 only (Put/Delete check), so dump cannot throw
  line.pop_back();              // the closing '}': the checksum goes before it
  const uint32_t crc = Crc32(line);
  line += kCrcOpen;
  line += Hex8(crc);
  line += "\"}\n";
  return line;
}

// ---------------------------------------------------------------------------------------------
// JournalDurableStore

namespace {

using JournalMap = std::map<std::string, std::string, std::less<>>;

// A record's effect on a map of live keys: a value puts, nullopt deletes.
void ApplyRecord(JournalMap& map, const std::string& key, const std::optional<std::string>& value) {
  if (value) {
    map[key] = *value;
  } else if (auto it = map.find(key); it != map.end()) {
    map.erase(it);
  }
}

// Writes all of `text`, continuing after short writes; a write that makes no progress is an error.
Status WriteAll(JournalFile& file, std::string_view text, const std::string& name) {
  while (!text.empty()) {
    Result<size_t> n = file.Write(text);
    if (!n.ok()) return n.status();
    if (*n == 0 || *n > text.size()) return Status::Unavailable(name + ": write made no progress");
    text.remove_prefix(*n);
  }
  return Status::Ok();
}

std::string DirOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
}

}  // namespace

Status JournalDurableStore::Replay(const std::string& text, uint64_t* complete_bytes) {
  size_t pos = 0;
  int64_t line_no = 0;
  bool seen_checksum = false;
  for (size_t nl; (nl = text.find('\n', pos)) != std::string::npos; pos = nl + 1) {
    ++line_no;
    const std::string_view line(text.data() + pos, nl - pos);
    if (line.empty()) continue;
    Result<ParsedRecord> rec = ParseRecordLine(line);
    if (rec.ok() && !rec->checksummed && seen_checksum) rec = Status::DataLoss("checksum missing");
    if (!rec.ok()) {
      return Status::DataLoss("journal " + path_ + ": line " + std::to_string(line_no) + ": " + rec.status().message());
    }
    seen_checksum = seen_checksum || rec->checksummed;
    ++records_;
    ApplyRecord(written_, rec->key, rec->value);
  }
  *complete_bytes = pos;
  return Status::Ok();
}

Result<std::unique_ptr<JournalDurableStore>> JournalDurableStore::Open(const std::string& path, Post post,
                                                                     Options options) {
  std::unique_ptr<JournalDurableStore> store(new JournalDurableStore());
  store->path_ = path;
  store->post_ = std::move(post);
  store->options_ = std::move(options);
  store->options_.max_group_records = std::max<size_t>(1, store->options_.max_group_records);
  store->fs_ = store->options_.fs ? store->options_.fs : JournalFs::Posix();
  if (path.empty()) return store;
  JournalDurableStore& s = *store;
  Result<std::string> text = s.fs_->ReadAll(path);
  const bool created = !text.ok() && text.status().code() == StatusCode::kNotFound;
  if (!text.ok() && !created) return Status::Unavailable("journal " + text.status().message());
  uint64_t complete = 0;
  if (text.ok()) SSAI_RETURN_IF_ERROR(s.Replay(*text, &complete));
  Result<std::unique_ptr<JournalFile>> file = s.fs_->OpenAppend(path, /*truncate=*/false);
  if (!file.ok()) return Status::Unavailable("journal " + file.status().message());
  s.file_ = std::move(file).value();
  if (created) {  // the new directory entry must survive a crash as much as the first record
    if (Status st = s.fs_->SyncDir(DirOf(path)); !st.ok()) return Status::Unavailable("journal " + st.message());
  }
  if (text.ok() && complete < text->size()) {
    // A torn final record: a crash during its write. It was never acknowledged (the newline is
    // written before the sync that acknowledges it); cut it so the next record starts its own line.
    const uint64_t torn = text->size() - complete;
    if (Status st = s.file_->Truncate(complete); !st.ok()) return Status::Unavailable("journal " + st.message());
    if (Status st = s.file_->Sync(); !st.ok()) return Status::Unavailable("journal " + st.message());
    s.torn_bytes_cut_ = static_cast<int64_t>(torn);
    const std::string note = "journal " + path + ": cut a torn final record (" + std::to_string(torn) +
                             " bytes after byte " + std::to_string(complete) + ", never acknowledged)";
    if (s.options_.log) {
      s.options_.log(note);
    } else {
      std::cerr << note << "\n";
    }
  }
  s.good_bytes_ = complete;
  *s.acked_ = s.written_;
  s.writer_ = std::thread([p = store.get()] { p->WriterLoop(); });
  return store;
}

JournalDurableStore::~JournalDurableStore() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    hold_ = false;
  }
  cv_.notify_all();
  if (writer_.joinable()) writer_.join();
}

void JournalDurableStore::HoldWriterForTest(bool hold) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    hold_ = hold;
  }
  cv_.notify_all();
}

void JournalDurableStore::Put(std::string_view key, std::string value, DoneCallback done) {
  if (!IsValidUtf8(key) || !IsValidUtf8(value)) {
    post_([done = std::move(done)] { done(Status::InvalidArgument("journal: key or value is not UTF-8")); });
    return;
  }
  std::optional<std::string> v(std::move(value));
  std::string line = path_.empty() ? std::string() : JournalRecordLine(key, v);
  Submit(Record{std::move(line), std::string(key), std::move(v), std::move(done)});
}

void JournalDurableStore::Delete(std::string_view key, DoneCallback done) {
  if (!IsValidUtf8(key)) {
    post_([done = std::move(done)] { done(Status::InvalidArgument("journal: key is not UTF-8")); });
    return;
  }
  std::string line = path_.empty() ? std::string() : JournalRecordLine(key, std::nullopt);
  Submit(Record{std::move(line), std::string(key), std::nullopt, std::move(done)});
}

void JournalDurableStore::PostAcknowledgements(std::vector<Record> group, Status status) {
  // Runs on the caller's thread: the group's effects on the acknowledged map, then each `done`,
  // in submission order.
  post_([acked_weak = std::weak_ptr(acked_), group = std::move(group), status = std::move(status)]() mutable {
    const std::shared_ptr<Map> acked = acked_weak.lock();
    if (!acked) return;  // the store is gone; so is whoever waited
    for (Record& r : group) {
      if (status.ok()) ApplyRecord(*acked, r.key, r.value);
      if (r.done) r.done(status);
    }
  });
}

void JournalDurableStore::Submit(Record record) {
  if (path_.empty()) {  // memory only: nothing to write, same completion path
    std::vector<Record> group;
    group.push_back(std::move(record));
    PostAcknowledgements(std::move(group), Status::Ok());
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(record));
  }
  cv_.notify_one();
}

void JournalDurableStore::WriterLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return (!hold_ && !queue_.empty()) || stop_; });
    if (queue_.empty()) return;  // stopping, nothing left
    std::vector<Record> group;
    if (queue_.size() <= options_.max_group_records) {
      group.swap(queue_);
    } else {
      const auto cut = queue_.begin() + static_cast<std::ptrdiff_t>(options_.max_group_records);
      group.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(cut));
      queue_.erase(queue_.begin(), cut);
    }
    lock.unlock();
    std::string text;
    for (Record& r : group) text += std::exchange(r.line, {});  // the lines are not needed after this
    const Status status = Append(text);
    if (status.ok()) {
      for (const Record& r : group) ApplyRecord(written_, r.key, r.value);
      records_ += static_cast<int64_t>(group.size());
      MaybeCompact();
    } else {
      ++write_failures_;
    }
    PostAcknowledgements(std::move(group), status);
    lock.lock();
  }
}

Status JournalDurableStore::Append(const std::string& text) {
  if (!failed_.ok()) return failed_;
  Status status = WriteAll(*file_, text, path_);
  if (status.ok()) {
    ++syncs_;
    status = file_->Sync();
  }
  if (status.ok()) {
    good_bytes_ += text.size();
    return status;
  }
  // Not acknowledged: cut whatever of the group reached the file (all, part, or none of it; after
  // a failed fdatasync its pages may be dropped or kept) so the next group starts on a clean line.
  Status cut = file_->Truncate(good_bytes_);
  if (cut.ok()) cut = file_->Sync();
  if (!cut.ok()) {
    // The tail is unknown: appending after it could glue a record onto a partial one. Fail
    // closed; a restart cuts a torn tail and replays every acknowledged record.
    failed_ = Status::Unavailable("journal " + path_ + ": failed closed after a write error (" + status.message() +
                                  "; cutting back to byte " + std::to_string(good_bytes_) + ": " + cut.message() +
                                  "); restart the server to recover");
    failed_closed_ = true;
  }
  return status;
}

void JournalDurableStore::MaybeCompact() {
  if (records_ <= options_.compact_after_records || records_ <= 2 * static_cast<int64_t>(written_.size())) return;
  if (Compact().ok()) {
    ++compactions_;
  } else {
    ++compaction_failures_;  // the old journal is intact and still appended to
  }
}

Status JournalDurableStore::Compact() {
  const std::string tmp = path_ + ".tmp";
  // Appending: after the rename this file is the journal, so appends continue on it.
  Result<std::unique_ptr<JournalFile>> file = fs_->OpenAppend(tmp, /*truncate=*/true);
  if (!file.ok()) return file.status();
  std::string text;
  for (const auto& [key, value] : written_) text += JournalRecordLine(key, value);
  Status s = WriteAll(**file, text, tmp);
  // The new file's bytes reach the disk before the rename makes it the journal.
  if (s.ok()) s = (*file)->Sync();
  if (s.ok()) s = fs_->Rename(tmp, path_);
  if (!s.ok()) {
    file->reset();
    (void)fs_->Remove(tmp);  // best effort: a leftover PATH.tmp is ignored and replaced next time
    return s;
  }
  // The rename itself is durable once the directory is synced; the new journal is in place either
  // way (a crash before that sync leaves the old journal, which holds the same live records).
  if (!fs_->SyncDir(DirOf(path_)).ok()) ++compaction_failures_;
  file_ = std::move(file).value();  // closes the old journal's inode, now unlinked
  good_bytes_ = text.size();
  records_ = static_cast<int64_t>(written_.size());
  return Status::Ok();
}

void JournalDurableStore::Scan(
    std::string_view prefix,
    std::function<void(Result<std::vector<std::pair<std::string, std::string>>>)> done) {
  std::vector<std::pair<std::string, std::string>> out;
  for (auto it = acked_->lower_bound(prefix); it != acked_->end() && it->first.starts_with(prefix); ++it) {
    out.emplace_back(it->first, it->second);
  }
  done(std::move(out));
}

}  // namespace ssai::server
