// A system library opened when first needed (dlopen) instead of linked: for the hub's libcurl and
// libcrypto, which, linked, load about forty libraries (TLS, Kerberos, LDAP, ...) into every process
// and ~6 MB of resident memory, although only a download uses them.
#pragma once

#include <string>

namespace tokprob {

class SharedLibrary {
 public:
  // Opens `soname` (e.g. "libcurl.so.4"); fails with one line naming it and `needed_for` when absent.
  SharedLibrary(const std::string& soname, const std::string& needed_for);
  ~SharedLibrary();
  SharedLibrary(const SharedLibrary&) = delete;
  SharedLibrary& operator=(const SharedLibrary&) = delete;

  // The function named `name`, cast to `F`; fails naming it when the library lacks it.
  template <class F>
  F function(const char* name) const {
    return reinterpret_cast<F>(address(name));
  }

 private:
  void* address(const char* name) const;
  void* handle_ = nullptr;
  std::string soname_;
};

}  // namespace tokprob
