#include "io/shared_library.hpp"

#include <gtest/gtest.h>

#include <cstring>

#include "tokprob/error.hpp"

namespace tokprob {
namespace {

TEST(SharedLibrary, FindsAFunctionOfAnOpenedLibrary) {
  const SharedLibrary libc("libc.so.6", "this test");
  auto length = libc.function<size_t (*)(const char*)>("strlen");
  EXPECT_EQ(length("four"), 4u);
}

TEST(SharedLibrary, AMissingLibraryIsOneLineNamingItAndWhatNeedsIt) {
  try {
    SharedLibrary lib("libtokprob-no-such-library.so.9", "downloading from the moon");
    FAIL() << "opened a library that does not exist";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("downloading from the moon needs libtokprob-no-such-library.so.9"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
}

TEST(SharedLibrary, AMissingFunctionIsNamed) {
  const SharedLibrary libc("libc.so.6", "this test");
  try {
    libc.function<void (*)()>("tokprob_no_such_function");
    FAIL() << "found a function that does not exist";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "libc.so.6 has no function tokprob_no_such_function");
  }
}

}  // namespace
}  // namespace tokprob
