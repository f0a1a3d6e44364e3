// TempDir: a fresh folder under the system's temporary folder, removed with its contents when
// the object goes away.
#pragma once

#include <filesystem>

namespace vestibule::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace vestibule::testing
