#include "io/shared_library.hpp"

#include <dlfcn.h>

#include "tokprob/error.hpp"

namespace tokprob {

SharedLibrary::SharedLibrary(const std::string& soname, const std::string& needed_for) : soname_(soname) {
  handle_ = ::dlopen(soname.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle_) {
    const char* why = ::dlerror();
    fail(needed_for + " needs " + soname + ", which cannot be loaded" + (why ? std::string(": ") + why : ""));
  }
}

SharedLibrary::~SharedLibrary() {
  if (handle_) ::dlclose(handle_);
}

void* SharedLibrary::address(const char* name) const {
  ::dlerror();
  void* p = ::dlsym(handle_, name);
  if (!p) fail(soname_ + " has no function " + name);
  return p;
}

}  // namespace tokprob
