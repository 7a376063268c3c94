#include <zmq.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <errno.h>

/* Names the calling thread (max 15 bytes shown); prctl is variadic, so Swift can't call it. */
static inline int czmq_set_thread_name(const char *name) {
    return prctl(PR_SET_NAME, (unsigned long)name, 0UL, 0UL, 0UL);
}
