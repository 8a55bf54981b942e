#include "journal/fault_file_system.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace stalk::journal::testing {

class FaultFileSystem::FaultFile final : public File {
 public:
  FaultFile(FaultFileSystem* fs, std::shared_ptr<Node> node, std::string path)
      : fs_(fs), node_(std::move(node)), path_(std::move(path)) {}

  Status Write(uint64_t offset, std::string_view data) override {
    std::unique_lock l(fs_->mu_);
    if (fs_->block_writes_) {
      ++fs_->writes_blocked_;
      fs_->cv_.notify_all();
      fs_->cv_.wait(l, [&] { return !fs_->block_writes_; });
      --fs_->writes_blocked_;
    }
    if (fs_->frozen_) return Status::FromErrno(EIO, "write " + path_);
    size_t n = data.size();
    Status result;
    if (fs_->write_budget_armed_ && n > fs_->write_budget_) {
      n = fs_->write_budget_;
      fs_->write_budget_armed_ = false;
      result = Status::FromErrno(fs_->write_err_, "write " + path_);
    } else if (fs_->write_budget_armed_) {
      fs_->write_budget_ -= n;
    }
    std::string& d = node_->data;
    if (d.size() < offset + n) d.resize(offset + n, '\0');
    std::memcpy(d.data() + offset, data.data(), n);
    return result;
  }

  Result<size_t> Read(uint64_t offset, size_t n, char* dst) override {
    std::lock_guard l(fs_->mu_);
    if (fs_->frozen_) return Status::FromErrno(EIO, "read " + path_);
    const std::string& d = node_->data;
    if (offset >= d.size()) return size_t{0};
    size_t got = std::min<size_t>(n, d.size() - offset);
    std::memcpy(dst, d.data() + offset, got);
    return got;
  }

  Status Sync() override {
    std::unique_lock l(fs_->mu_);
    if (fs_->block_syncs_) {
      ++fs_->syncs_blocked_;
      fs_->cv_.notify_all();
      fs_->cv_.wait(l, [&] { return !fs_->block_syncs_; });
      --fs_->syncs_blocked_;
    }
    if (fs_->frozen_) return Status::FromErrno(EIO, "fdatasync " + path_);
    if (fs_->fail_syncs_ > 0) {
      --fs_->fail_syncs_;
      return Status::FromErrno(EIO, "fdatasync " + path_);
    }
    node_->synced = node_->data;
    ++fs_->syncs_;
    return Status::Ok();
  }

  Status Allocate(uint64_t bytes) override {
    std::lock_guard l(fs_->mu_);
    if (fs_->frozen_) return Status::FromErrno(EIO, "fallocate " + path_);
    if (fs_->fail_allocate_) return Status::FromErrno(ENOSPC, "fallocate " + path_);
    if (node_->data.size() < bytes) node_->data.resize(bytes, '\0');
    return Status::Ok();
  }

  Result<uint64_t> Size() override {
    std::lock_guard l(fs_->mu_);
    return uint64_t{node_->data.size()};
  }

 private:
  FaultFileSystem* fs_;
  std::shared_ptr<Node> node_;
  std::string path_;
};

class FaultFileSystem::FaultLock final : public FileLock {
 public:
  FaultLock(FaultFileSystem* fs, std::string path) : fs_(fs), path_(std::move(path)) {}
  ~FaultLock() override {
    std::lock_guard l(fs_->mu_);
    fs_->locks_.erase(path_);
  }

 private:
  FaultFileSystem* fs_;
  std::string path_;
};

std::string FaultFileSystem::DirOf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

Status FaultFileSystem::CreateDir(const std::string& path) {
  std::lock_guard l(mu_);
  if (frozen_) return Status::FromErrno(EIO, "mkdir " + path);
  dirs_.insert(path);
  return Status::Ok();
}

Result<std::vector<std::string>> FaultFileSystem::ListDir(const std::string& dir) {
  std::lock_guard l(mu_);
  if (frozen_) return Status::FromErrno(EIO, "opendir " + dir);
  if (!dirs_.count(dir)) return Status::FromErrno(ENOENT, "opendir " + dir);
  std::vector<std::string> names;
  for (const auto& [path, node] : files_) {
    if (DirOf(path) == dir) names.push_back(path.substr(dir.size() + 1));
  }
  return names;
}

Result<std::unique_ptr<File>> FaultFileSystem::OpenForRead(const std::string& path) {
  std::lock_guard l(mu_);
  if (frozen_) return Status::FromErrno(EIO, "open " + path);
  auto it = files_.find(path);
  if (it == files_.end()) return Status::FromErrno(ENOENT, "open " + path);
  return std::unique_ptr<File>(new FaultFile(this, it->second, path));
}

Result<std::unique_ptr<File>> FaultFileSystem::CreateNew(const std::string& path) {
  std::lock_guard l(mu_);
  if (frozen_) return Status::FromErrno(EIO, "create " + path);
  if (files_.count(path)) return Status::FromErrno(EEXIST, "create " + path);
  auto node = std::make_shared<Node>();
  files_[path] = node;
  return std::unique_ptr<File>(new FaultFile(this, node, path));
}

Status FaultFileSystem::Remove(const std::string& path) {
  std::lock_guard l(mu_);
  if (frozen_) return Status::FromErrno(EIO, "unlink " + path);
  auto it = files_.find(path);
  if (it == files_.end()) return Status::FromErrno(ENOENT, "unlink " + path);
  if (it->second->durable_link) unlinked_durable_[path] = it->second;
  files_.erase(it);
  return Status::Ok();
}

Status FaultFileSystem::SyncDir(const std::string& dir) {
  std::lock_guard l(mu_);
  if (frozen_) return Status::FromErrno(EIO, "fsync " + dir);
  for (auto& [path, node] : files_) {
    if (DirOf(path) == dir) node->durable_link = true;
  }
  for (auto it = unlinked_durable_.begin(); it != unlinked_durable_.end();) {
    it = DirOf(it->first) == dir ? unlinked_durable_.erase(it) : std::next(it);
  }
  ++dir_syncs_;
  return Status::Ok();
}

Result<std::unique_ptr<FileLock>> FaultFileSystem::Lock(const std::string& path) {
  std::lock_guard l(mu_);
  if (frozen_) return Status::FromErrno(EIO, "lock " + path);
  if (!locks_.insert(path).second) {
    return Status(StatusCode::kLocked, path + " is locked by another journal");
  }
  return std::unique_ptr<FileLock>(new FaultLock(this, path));
}

void FaultFileSystem::set_fail_allocate(bool fail) {
  std::lock_guard l(mu_);
  fail_allocate_ = fail;
}

void FaultFileSystem::FailWritesAfter(uint64_t bytes, int err) {
  std::lock_guard l(mu_);
  write_budget_armed_ = true;
  write_budget_ = bytes;
  write_err_ = err;
}

void FaultFileSystem::FailNextSyncs(int n) {
  std::lock_guard l(mu_);
  fail_syncs_ = n;
}

void FaultFileSystem::BlockSyncs(bool block) {
  std::lock_guard l(mu_);
  block_syncs_ = block;
  cv_.notify_all();
}

void FaultFileSystem::BlockWrites(bool block) {
  std::lock_guard l(mu_);
  block_writes_ = block;
  cv_.notify_all();
}

void FaultFileSystem::WaitSyncBlocked() {
  std::unique_lock l(mu_);
  cv_.wait(l, [&] { return syncs_blocked_ > 0; });
}

void FaultFileSystem::WaitWriteBlocked() {
  std::unique_lock l(mu_);
  cv_.wait(l, [&] { return writes_blocked_ > 0; });
}

void FaultFileSystem::SimulateCrash(Crash kind) {
  std::lock_guard l(mu_);
  frozen_ = true;
  if (kind == Crash::kProcess) return;
  std::map<std::string, std::shared_ptr<Node>> survivors;
  auto keep = [&](const std::string& path, const std::shared_ptr<Node>& old) {
    auto n = std::make_shared<Node>();
    n->data = n->synced = old->synced;
    n->durable_link = true;
    survivors[path] = n;
  };
  for (auto& [path, node] : files_) {
    if (node->durable_link) keep(path, node);
  }
  for (auto& [path, node] : unlinked_durable_) keep(path, node);
  files_.swap(survivors);
  unlinked_durable_.clear();
}

void FaultFileSystem::Restart() {
  std::lock_guard l(mu_);
  frozen_ = false;
  block_syncs_ = block_writes_ = false;
  cv_.notify_all();
}

uint64_t FaultFileSystem::syncs() const {
  std::lock_guard l(mu_);
  return syncs_;
}

uint64_t FaultFileSystem::dir_syncs() const {
  std::lock_guard l(mu_);
  return dir_syncs_;
}

std::vector<std::string> FaultFileSystem::Names(const std::string& dir) const {
  std::lock_guard l(mu_);
  std::vector<std::string> names;
  for (const auto& [path, node] : files_) {
    if (DirOf(path) == dir) names.push_back(path.substr(dir.size() + 1));
  }
  return names;
}

bool FaultFileSystem::Exists(const std::string& path) const {
  std::lock_guard l(mu_);
  return files_.count(path) > 0;
}

std::string FaultFileSystem::Contents(const std::string& path) const {
  std::lock_guard l(mu_);
  auto it = files_.find(path);
  return it == files_.end() ? std::string() : it->second->data;
}

void FaultFileSystem::SetContents(const std::string& path, const std::string& data) {
  std::lock_guard l(mu_);
  auto& node = files_[path];
  if (!node) node = std::make_shared<Node>();
  node->data = node->synced = data;
  node->durable_link = true;
}

uint64_t FaultFileSystem::TotalBytes(const std::string& dir) const {
  std::lock_guard l(mu_);
  uint64_t total = 0;
  for (const auto& [path, node] : files_) {
    if (DirOf(path) == dir) total += node->data.size();
  }
  return total;
}

}  // namespace stalk::journal::testing

namespace stalk::journal::testing {

bool FaultFileSystem::AllSynced(const std::string& dir) const {
  std::lock_guard l(mu_);
  for (const auto& [path, node] : files_) {
    if (DirOf(path) == dir && (!node->durable_link || node->data != node->synced)) return false;
  }
  for (const auto& [path, node] : unlinked_durable_) {
    if (DirOf(path) == dir) return false;
  }
  return true;
}

}  // namespace stalk::journal::testing
