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

/* The multi handle driven by epoll (curl_multi_socket_action): only the sockets that are ready
 * are handed to curl, not every transfer on every wake-up. `deadline_ms` holds curl's timer as
 * an absolute CLOCK_MONOTONIC time in milliseconds, -1 for none. */
int tonehost_curl_epoll_create(int *wake_fd);
CURLMcode tonehost_curl_multi_use_epoll(CURLM *multi, int epoll_fd, long long *deadline_ms);
/* Waits (at most max_wait_ms, less when curl's timer is due) for ready sockets or the wake fd,
 * hands each ready socket and a due timer to curl; returns epoll_wait's result. */
int tonehost_curl_multi_wait_epoll(CURLM *multi, int epoll_fd, int wake_fd, long long *deadline_ms, int max_wait_ms, int *running);
/* Makes the next (or current) tonehost_curl_multi_wait_epoll return. */
void tonehost_curl_wake(int wake_fd);
#endif
