#include "io/curl_library.hpp"

#include "io/shared_library.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

namespace {

CurlLibrary open_curl() {
  static const SharedLibrary lib("libcurl.so.4", "downloading from the Hugging Face hub");
  CurlLibrary c{};
  c.global_init = lib.function<decltype(c.global_init)>("curl_global_init");
  c.easy_init = lib.function<decltype(c.easy_init)>("curl_easy_init");
  c.easy_cleanup = lib.function<decltype(c.easy_cleanup)>("curl_easy_cleanup");
  c.easy_reset = lib.function<decltype(c.easy_reset)>("curl_easy_reset");
  c.easy_setopt = lib.function<decltype(c.easy_setopt)>("curl_easy_setopt");
  c.easy_perform = lib.function<decltype(c.easy_perform)>("curl_easy_perform");
  c.easy_getinfo = lib.function<decltype(c.easy_getinfo)>("curl_easy_getinfo");
  c.easy_strerror = lib.function<decltype(c.easy_strerror)>("curl_easy_strerror");
  c.slist_append = lib.function<decltype(c.slist_append)>("curl_slist_append");
  c.slist_free_all = lib.function<decltype(c.slist_free_all)>("curl_slist_free_all");
  if (c.global_init(CURL_GLOBAL_DEFAULT) != 0) fail("libcurl initialisation failed");
  return c;
}

}  // namespace

const CurlLibrary& curl_library() {
  static const CurlLibrary lib = open_curl();  // thread-safe, once
  return lib;
}

}  // namespace tokprob
