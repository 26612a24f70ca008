// SHA-256 digests (OpenSSL's libcrypto), used to check downloaded weight files against the
// sha256 the Hugging Face hub publishes for LFS files.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace tokprob {

// Lower-case hex digest of `data`.
std::string sha256_hex(std::string_view data);

// Lower-case hex digest of the file's bytes, read in chunks; fails naming the file if unreadable.
std::string sha256_file_hex(const std::filesystem::path& file);

}  // namespace tokprob
