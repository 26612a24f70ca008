// The libcurl functions the hub's HTTP client calls, from libcurl opened on the first request
// (see io/shared_library.hpp for why it is not linked).
#pragma once

#include <curl/curl.h>

namespace tokprob {

struct CurlLibrary {
  CURLcode (*global_init)(long flags);
  CURL* (*easy_init)();
  void (*easy_cleanup)(CURL* curl);
  void (*easy_reset)(CURL* curl);
  CURLcode (*easy_setopt)(CURL* curl, CURLoption option, ...);
  CURLcode (*easy_perform)(CURL* curl);
  CURLcode (*easy_getinfo)(CURL* curl, CURLINFO info, ...);
  const char* (*easy_strerror)(CURLcode code);
  curl_slist* (*slist_append)(curl_slist* list, const char* line);
  void (*slist_free_all)(curl_slist* list);
};

// Opened and initialised (curl_global_init) once, on the first call; fails with one line when
// libcurl cannot be loaded.
const CurlLibrary& curl_library();

}  // namespace tokprob
