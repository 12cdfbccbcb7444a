#include "tonehost_curl.h"

CURLcode tonehost_curl_set_long(CURL *easy, CURLoption option, long value) { return curl_easy_setopt(easy, option, value); }
CURLcode tonehost_curl_set_string(CURL *easy, CURLoption option, const char *value) { return curl_easy_setopt(easy, option, value); }
CURLcode tonehost_curl_set_pointer(CURL *easy, CURLoption option, void *value) { return curl_easy_setopt(easy, option, value); }
CURLcode tonehost_curl_set_write_function(CURL *easy, tonehost_curl_write_fn function) {
    return curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, function);
}
CURLcode tonehost_curl_set_header_function(CURL *easy, tonehost_curl_write_fn function) {
    return curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, function);
}
CURLcode tonehost_curl_set_private(CURL *easy, void *value) { return curl_easy_setopt(easy, CURLOPT_PRIVATE, value); }
void *tonehost_curl_get_private(CURL *easy) {
    void *value = NULL;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &value);
    return value;
}
long tonehost_curl_response_code(CURL *easy) {
    long code = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
    return code;
}
