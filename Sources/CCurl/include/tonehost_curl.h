/* Non-variadic wrappers over the libcurl calls Swift cannot import (curl_easy_setopt and
 * curl_easy_getinfo are variadic). */
#ifndef TONEHOST_CURL_H
#define TONEHOST_CURL_H
#include <curl/curl.h>

typedef size_t (*tonehost_curl_write_fn)(char *data, size_t size, size_t count, void *context);

CURLcode tonehost_curl_set_long(CURL *easy, CURLoption option, long value);
CURLcode tonehost_curl_set_string(CURL *easy, CURLoption option, const char *value);
CURLcode tonehost_curl_set_pointer(CURL *easy, CURLoption option, void *value);
CURLcode tonehost_curl_set_write_function(CURL *easy, tonehost_curl_write_fn function);
CURLcode tonehost_curl_set_header_function(CURL *easy, tonehost_curl_write_fn function);
CURLcode tonehost_curl_set_private(CURL *easy, void *value);
void *tonehost_curl_get_private(CURL *easy);
long tonehost_curl_response_code(CURL *easy);
#endif
