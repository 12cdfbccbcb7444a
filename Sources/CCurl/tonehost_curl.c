#include "tonehost_curl.h"
#include <errno.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

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

static long long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* CURLMOPT_SOCKETFUNCTION: curl says which events of a socket it waits for. */
static int socket_changed(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp) {
    (void)easy; (void)socketp;
    int epoll_fd = (int)(intptr_t)userp;
    if (what == CURL_POLL_REMOVE) {
        epoll_ctl(epoll_fd, EPOLL_CTL_DEL, s, NULL);  /* may be closed already: then it left the set */
        return 0;
    }
    struct epoll_event ev = {0};
    ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0);
    ev.data.fd = s;
    if (epoll_ctl(epoll_fd, EPOLL_CTL_MOD, s, &ev) != 0 && errno == ENOENT) epoll_ctl(epoll_fd, EPOLL_CTL_ADD, s, &ev);
    return 0;
}

/* CURLMOPT_TIMERFUNCTION: curl wants to be called back in timeout_ms (-1: never). */
static int timer_changed(CURLM *multi, long timeout_ms, void *userp) {
    (void)multi;
    *(long long *)userp = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
    return 0;
}

int tonehost_curl_epoll_create(int *wake_fd) {
    int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd < 0) return -1;
    int wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake < 0) { close(epoll_fd); return -1; }
    struct epoll_event ev = {0};
    ev.events = EPOLLIN;
    ev.data.fd = wake;
    if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, wake, &ev) != 0) { close(wake); close(epoll_fd); return -1; }
    *wake_fd = wake;
    return epoll_fd;
}

CURLMcode tonehost_curl_multi_use_epoll(CURLM *multi, int epoll_fd, long long *deadline_ms) {
    *deadline_ms = -1;
    CURLMcode code = curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, socket_changed);
    if (code == CURLM_OK) code = curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, (void *)(intptr_t)epoll_fd);
    if (code == CURLM_OK) code = curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, timer_changed);
    if (code == CURLM_OK) code = curl_multi_setopt(multi, CURLMOPT_TIMERDATA, (void *)deadline_ms);
    return code;
}

int tonehost_curl_multi_wait_epoll(CURLM *multi, int epoll_fd, int wake_fd, long long *deadline_ms, int max_wait_ms, int *running) {
    struct epoll_event events[64];
    int timeout = max_wait_ms;
    if (*deadline_ms >= 0) {
        long long left = *deadline_ms - now_ms();
        if (left < 0) left = 0;
        if (left < timeout) timeout = (int)left;
    }
    int n = epoll_wait(epoll_fd, events, 64, timeout);
    for (int i = 0; i < n; i++) {
        int fd = events[i].data.fd;
        if (fd == wake_fd) {
            uint64_t value;
            while (read(wake_fd, &value, sizeof value) > 0) {}
            continue;
        }
        uint32_t e = events[i].events;
        int flags = ((e & EPOLLIN) ? CURL_CSELECT_IN : 0) | ((e & EPOLLOUT) ? CURL_CSELECT_OUT : 0)
                  | ((e & (EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_ERR : 0);
        curl_multi_socket_action(multi, fd, flags, running);
    }
    if (*deadline_ms >= 0 && now_ms() >= *deadline_ms) {
        *deadline_ms = -1;  /* before the call: curl may set a new timer from inside it */
        curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, running);
    }
    return n;
}

void tonehost_curl_wake(int wake_fd) {
    uint64_t one = 1;
    (void)!write(wake_fd, &one, sizeof one);
}
