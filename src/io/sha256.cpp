#include "io/sha256.hpp"

#include <openssl/evp.h>

#include <fstream>
#include <memory>
#include <vector>

#include "io/shared_library.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

namespace {

// libcrypto's digest functions, opened on the first digest (see io/shared_library.hpp).
struct Crypto {
  EVP_MD_CTX* (*ctx_new)();
  void (*ctx_free)(EVP_MD_CTX*);
  const EVP_MD* (*sha256)();
  int (*init)(EVP_MD_CTX*, const EVP_MD*, ENGINE*);
  int (*update)(EVP_MD_CTX*, const void*, size_t);
  int (*final)(EVP_MD_CTX*, unsigned char*, unsigned int*);
};

const Crypto& crypto() {
  static const SharedLibrary lib("libcrypto.so.3", "checking downloaded files' sha256");
  static const Crypto c{lib.function<decltype(Crypto::ctx_new)>("EVP_MD_CTX_new"),
                        lib.function<decltype(Crypto::ctx_free)>("EVP_MD_CTX_free"),
                        lib.function<decltype(Crypto::sha256)>("EVP_sha256"),
                        lib.function<decltype(Crypto::init)>("EVP_DigestInit_ex"),
                        lib.function<decltype(Crypto::update)>("EVP_DigestUpdate"),
                        lib.function<decltype(Crypto::final)>("EVP_DigestFinal_ex")};
  return c;
}

class Sha256 {
 public:
  Sha256() : ctx_(crypto().ctx_new(), crypto().ctx_free) {
    if (!ctx_ || crypto().init(ctx_.get(), crypto().sha256(), nullptr) != 1) fail("sha256: libcrypto init failed");
  }
  void update(const void* data, size_t n) {
    if (crypto().update(ctx_.get(), data, n) != 1) fail("sha256: libcrypto update failed");
  }
  std::string hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (crypto().final(ctx_.get(), digest, &len) != 1) fail("sha256: libcrypto final failed");
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < len; ++i) {
      out += kHex[digest[i] >> 4];
      out += kHex[digest[i] & 15];
    }
    return out;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx_;
};

}  // namespace

std::string sha256_hex(std::string_view data) {
  Sha256 h;
  h.update(data.data(), data.size());
  return h.hex();
}

std::string sha256_file_hex(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) fail("cannot read " + file.string());
  Sha256 h;
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() > 0) h.update(buf.data(), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) fail("error reading " + file.string());
  return h.hex();
}

}  // namespace tokprob
