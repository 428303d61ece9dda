#ifndef LUMIS_CZEROMQ_SHIM_H
#define LUMIS_CZEROMQ_SHIM_H
#include <zmq.h>
#include <errno.h>

// errno is a macro over a thread-local; Swift cannot read it directly everywhere.
static inline int czmq_errno(void) { return zmq_errno(); }
#endif
