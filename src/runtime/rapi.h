/*
 * rapi.h - the Lambda Runtime API (version 2018-06-01, SPEC section 4) of one
 * execution environment: an HTTP endpoint on 127.0.0.1, at an ephemeral port,
 * that a runtime (a bootstrap, aws-lambda-ric, ...) polls for its next event
 * and posts its answer to.  Served by libmicrohttpd, no parser of our own.
 *
 * One endpoint serves one process: a runtime finds the API from
 * AWS_LAMBDA_RUNTIME_API ("host:port", no path), so the port is the only
 * thing that tells environments apart, and a fresh process gets a fresh
 * endpoint (a request left over from a killed process can never reach its
 * successor).
 *
 * Threads: none of its own.  The owner polls rapi_fd() for reading and calls
 * rapi_run(); the callbacks fire inside rapi_run(), on the owner's thread.
 * Nothing here is locked: the owner calls every function from one thread at a
 * time (handler_pool.c: its I/O thread, under the pool's lock).
 *
 * Status codes and bodies follow AWS's Runtime Interface Emulator
 * (aws-lambda-runtime-interface-emulator, internal/lambda/rapi):
 *   GET  /2018-06-01/runtime/invocation/next          200, the event; held open
 *        (long poll) until an invocation is offered; while an invocation runs,
 *        the same invocation again (the emulator's Running state); after
 *        init/error 403 InvalidStateTransition.
 *   POST /2018-06-01/runtime/invocation/{id}/response 202 {"status":"OK"};
 *        400 InvalidRequestID when {id} is not the invocation the runtime
 *        fetched last; 403 InvalidStateTransition when that one was answered
 *        already (until the runtime fetches the next: an answer's fate never
 *        depends on when the owner offers the next invocation); 413
 *        RequestEntityTooLarge over RAPI_MAX_RESPONSE_BYTES (the invocation
 *        then ends as Function.ResponseSizeTooLarge).  Streamed
 *        (Lambda-Runtime-Function-Response-Mode: streaming, chunked): an error
 *        in the trailers Lambda-Runtime-Function-Error-Type and -Body (base64)
 *        is the invocation's error (202 still).
 *   POST /2018-06-01/runtime/invocation/{id}/error    202, same 400/403 cases;
 *        header Lambda-Runtime-Function-Error-Type, body as the runtime sends
 *        it (AWS's shape: errorMessage, errorType, stackTrace).
 *   POST /2018-06-01/runtime/init/error               202 before the first
 *        /next, 403 InvalidStateTransition after.
 *   GET  /2018-06-01/ping                             200 "pong" (text/plain).
 *   An answer cut off (its head came, not its whole body: the runtime closed,
 *   half-closed or reset its connection, or sent a malformed chunk) counts as
 *   AWS counts one whose body it cannot read: a /response fails its invocation
 *   as Runtime.TruncatedResponse, an /error with its header's type, both with
 *   no payload, an /init/error with what came of its body.  Nothing is sent
 *   (AWS: 400 TruncatedHTTPRequest; the connection is gone).
 *   anything else: 404 "404 page not found" (text/plain); a known path with
 *   another method: 405 with an Allow header; a request head over
 *   RAPI_MAX_HEADER_BYTES (and a margin): 431.  500 only when memory runs out.
 * Error bodies are the emulator's: {"errorMessage":"...","errorType":"..."}.
 */
#ifndef ESMSIM_RAPI_H
#define ESMSIM_RAPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest response a runtime may post: the emulator's
 * interop.MaxPayloadSize, 6 MiB + 100 bytes. */
#define RAPI_MAX_RESPONSE_BYTES (6u * 1024u * 1024u + 100u)

/* The connections an endpoint serves at once at most: a runtime uses one or
 * two; a stray loop cannot pile up more (AWS sets no such limit).  The owner
 * may set fewer (rapi_create), to fit its open-files limit. */
#define RAPI_CONNECTION_LIMIT 64

/* The largest request head (request line and headers) an endpoint reads:
 * AWS's Runtime API is Go's net/http server, whose default is 1 MiB of
 * headers plus 4096 bytes (http.DefaultMaxHeaderBytes; aws-lambda-runtime-
 * interface-emulator, internal/lambda/rapi/server.go, sets no other), and
 * the runtime clients use it: awslambdaric and the Java client post an
 * error's X-Ray cause (Lambda-Runtime-Function-XRay-Error-Cause) up to
 * 1 MiB (awslambdaric/lambda_runtime_client.py, post_invocation_error).
 * One far over it (past the memory a connection is given, rapi.c) gets 431
 * Request Header Fields Too Large. */
#define RAPI_MAX_HEADER_BYTES ((1u << 20) + 4096u)

/* The longest request id an endpoint accepts to hold (a UUID is 36). */
#define RAPI_REQUEST_ID_MAX 128

struct rapi;

/* How the runtime ended an invocation (or its init). */
enum rapi_answer {
    RAPI_RESPONSE,     /* /response: body is the handler's result */
    RAPI_ERROR,        /* /error: the handler threw; or a /response with a
                        * Lambda-Runtime-Function-Response-Mode other than
                        * "streaming" (400 sent): error_type
                        * "Runtime.InvalidResponseModeHeader", body ""; or one
                        * cut off: "Runtime.TruncatedResponse", body ""; or a
                        * streamed one with an error in its trailers: their
                        * type, and body decoded ("" when it is no base64) */
    RAPI_TOO_LARGE,    /* /response over the limit: body NULL, len its size; 413 sent */
    RAPI_INIT_ERROR,   /* /init/error: the runtime could not start */
};

struct rapi_callbacks {
    void *ctx;
    /* The runtime fetched the offered invocation through /next: its init
     * is over (first call) and the handler runs from now on. */
    void (*delivered)(void *ctx);
    /* The runtime answered.  error_type is the Lambda-Runtime-Function-
     * Error-Type header, or trailer of a streamed response ("" when absent,
     * as sent otherwise; or esmsim's, as enum rapi_answer says); body is
     * NUL-terminated, len bytes (an error body is cut at
     * RAPI_MAX_RESPONSE_BYTES).  Both are borrowed for the call.  The callback
     * may call rapi_offer() on the same endpoint, never rapi_destroy(). */
    void (*answered)(void *ctx, enum rapi_answer kind, const char *error_type,
                     const char *body, size_t len);
};

/* An invocation for /next; rapi_offer() copies every field. */
struct rapi_invocation {
    const char *request_id;     /* Lambda-Runtime-Aws-Request-Id; at most RAPI_REQUEST_ID_MAX */
    const char *event;          /* the body: the Lambda event, event_len bytes */
    size_t event_len;
    int64_t timeout_ms;         /* the function's timeout: Lambda-Runtime-Deadline-Ms is the
                                 * wall epoch ms when the runtime fetches it, plus this */
    const char *function_arn;   /* Lambda-Runtime-Invoked-Function-Arn */
    const char *trace_id;       /* Lambda-Runtime-Trace-Id */
};

/* An endpoint on 127.0.0.1 at a port the kernel picks, serving up to
 * connections (1 to RAPI_CONNECTION_LIMIT) at once; NULL with a message in
 * err when it cannot listen.  cb is copied. */
struct rapi *rapi_create(const struct rapi_callbacks *cb, unsigned connections, char *err,
                         size_t errlen);
/* Closes every connection (a held /next included) and frees r; NULL is fine. */
void rapi_destroy(struct rapi *r);

/* The port it listens on. */
uint16_t rapi_port(const struct rapi *r);
/* The descriptor to poll for POLLIN: when it is ready, call rapi_run(). */
int rapi_fd(const struct rapi *r);
/* Milliseconds before rapi_run() must be called again even when the
 * descriptor stays quiet, or -1 for no limit: 0 after rapi_offer() woke a
 * held /next, and while MHD holds input it has not served yet.  The owner
 * asks it each time before it sleeps. */
int rapi_timeout_ms(const struct rapi *r);
/* Whether the runtime holds a /next open with nothing offered yet: it is
 * done with its previous invocation and idle. */
bool rapi_waiting(const struct rapi *r);
/* Whether the runtime holds as many connections open as the endpoint serves
 * (rapi_create's connections): a new one waits until one of them closes. */
bool rapi_full(const struct rapi *r);
/* Serve whatever is ready, without blocking; -1 when the server failed. */
int rapi_run(struct rapi *r);

/*
 * Make inv the next invocation of this environment: the /next held open
 * (or the next one to come) returns it.  The owner offers one invocation at
 * a time: the first, then the next only after answered() for the previous.
 * Returns -1 when out of memory (nothing offered).
 */
int rapi_offer(struct rapi *r, const struct rapi_invocation *inv);

#endif
