#include "journal/file_system.h"

namespace stalk::journal {
namespace {

class BufferContents final : public FileContents {
 public:
  explicit BufferContents(std::string data) : data_(std::move(data)) {}
  std::string_view data() const override { return data_; }

 private:
  std::string data_;
};

}  // namespace

Result<std::unique_ptr<FileContents>> FileSystem::ReadWhole(const std::string& path) {
  auto file = OpenForRead(path);
  if (!file) return file.status();
  auto size = (*file)->Size();
  if (!size) return size.status();
  std::string data(*size, '\0');
  auto got = (*file)->Read(0, data.size(), data.data());
  if (!got) return got.status();
  data.resize(*got);
  return std::unique_ptr<FileContents>(new BufferContents(std::move(data)));
}

}  // namespace stalk::journal
