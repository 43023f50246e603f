/*
 * rapi.c - the Lambda Runtime API of one execution environment (rapi.h):
 * routing, the runtime's state (the emulator's Started / Ready / Running /
 * ResponseSent / InitError) and libmicrohttpd driven from the owner's loop.
 *
 * libmicrohttpd runs without a thread (external polling through its epoll
 * descriptor).  A /next with nothing to give is suspended
 * (MHD_suspend_connection) and resumed by rapi_offer(); on resumption MHD
 * calls the access handler again, which then finds the invocation.
 *
 * libmicrohttpd is loaded when the first endpoint starts (dlopen by its
 * soname, ESMSIM_MHD_SONAME from meson.build), not linked: linked, it and
 * the eight libraries behind it (gnutls, p11-kit, gmp, ...) were mapped
 * and relocated at the start of every esmsim process, a real handler or
 * not (issue 15: 1.3-1.6 ms of a 3 ms `esmsim --version`, of a 21 ms run
 * of one simulated second).
 */
#include "rapi.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>
#include <nettle/base64.h>

#include "errmsg.h"

#define API_PREFIX "/2018-06-01/runtime/"
#define PING_PATH "/2018-06-01/ping"
#define ERROR_TYPE_HEADER "Lambda-Runtime-Function-Error-Type"
#define ERROR_BODY_TRAILER "Lambda-Runtime-Function-Error-Body"
#define RESPONSE_MODE_HEADER "Lambda-Runtime-Function-Response-Mode"
#define ERROR_TYPE_MAX 256

/* The memory MHD gives a connection (its default, 32 KiB, refused a head
 * over about 32 KiB with 431): a head of RAPI_MAX_HEADER_BYTES in its read
 * buffer, beside it the headers parsed from it (about 50 bytes each: a head
 * of 10,000 short headers needed half as much again) and the answer's head.
 * MHD maps it (mmap) and touches only what a request fills: the peak memory
 * of a run is the same. */
#define RAPI_CONNECTION_MEMORY (2u * RAPI_MAX_HEADER_BYTES)

/* ---- libmicrohttpd, loaded ------------------------------------------------- */

/* The functions used, each called as mhd.NAME for MHD_NAME, with the type
 * the header declares: process-wide as the linked library's were, set once
 * (pthread_once: endpoints of several simulations may start at once) and
 * only read after. */
#define RAPI_MHD_FUNCTIONS(F) \
    F(start_daemon) F(stop_daemon) F(get_daemon_info) F(get_timeout) F(run) \
    F(suspend_connection) F(resume_connection) F(lookup_connection_value) \
    F(get_connection_info) \
    F(create_response_from_buffer) F(add_response_header) F(queue_response) \
    F(destroy_response)

#define RAPI_MHD_FIELD(name) __typeof__(MHD_##name) *name;
static struct {
    RAPI_MHD_FUNCTIONS(RAPI_MHD_FIELD)
} mhd;
#undef RAPI_MHD_FIELD

static pthread_once_t mhd_once = PTHREAD_ONCE_INIT;
static bool mhd_loaded;
static char mhd_load_error[256];   /* why it could not be loaded */

/* One function of the library into its pointer (dlsym's object pointer
 * copied, the conversion POSIX guarantees); false with the failure said. */
static bool mhd_symbol(void *lib, const char *name, void *fn, size_t size)
{
    void *p = dlsym(lib, name);
    if (!p) {
        snprintf(mhd_load_error, sizeof mhd_load_error, "%s", dlerror());
        return false;
    }
    memcpy(fn, &p, size);
    return true;
}

static void mhd_load(void)
{
    void *lib = dlopen(ESMSIM_MHD_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(mhd_load_error, sizeof mhd_load_error, "%s", dlerror());
        return;
    }
#define RAPI_MHD_LOAD(name) && mhd_symbol(lib, "MHD_" #name, &mhd.name, sizeof mhd.name)
    mhd_loaded = true RAPI_MHD_FUNCTIONS(RAPI_MHD_LOAD);
#undef RAPI_MHD_LOAD
    if (!mhd_loaded)
        dlclose(lib);   /* mhd_load_error says which function is missing */
}

/* The runtime's state, named as the emulator names it in its 403 messages. */
enum rapi_state { RS_STARTED, RS_READY, RS_RUNNING, RS_ANSWERED, RS_INIT_ERROR };

static const char *const state_names[] = {
    [RS_STARTED] = "Started", [RS_READY] = "Ready", [RS_RUNNING] = "Running",
    [RS_ANSWERED] = "RuntimeResponseSentState", [RS_INIT_ERROR] = "InitError",
};

enum route {
    ROUTE_NEXT, ROUTE_RESPONSE, ROUTE_ERROR, ROUTE_INIT_ERROR,
    ROUTE_PING,
    ROUTE_NOT_FOUND,
    ROUTE_BAD_METHOD,   /* a known path, another method */
};

/* One HTTP request being served (MHD's per-request context). */
struct rapi_req {
    struct rapi *r;
    struct MHD_Connection *conn;
    enum route route;
    const char *allow;                  /* ROUTE_BAD_METHOD: the method the path takes */
    char id[RAPI_REQUEST_ID_MAX + 1];   /* the {id} of the path */
    bool id_too_long;
    char *body;                         /* what is kept of the body (malloc), NUL-terminated */
    size_t len, cap;
    size_t total;                       /* bytes received, kept or not */
    bool no_memory;
    bool suspended;
    bool served;                        /* the handler saw the whole request */
    bool cut;                           /* it never will: the body did not come whole */
    bool nudged;                        /* nudge_closed() shut it for reading */
    struct rapi_req *next;              /* in r->waiting (a suspended /next) or in
                                         * r->receiving (an answer not served yet) */
};

struct rapi {
    struct MHD_Daemon *daemon;
    uint16_t port;
    int epoll_fd;
    struct rapi_callbacks cb;
    enum rapi_state state;
    bool closing;                       /* rapi_destroy() under way */
    /* The invocation fetched last (running or answered): answers are judged
     * against it until the runtime fetches the next, so whether the owner
     * has offered the next one already never changes an answer's fate. */
    struct rapi_inv {
        char *event;                    /* malloc */
        size_t event_len;
        int64_t timeout_ms;
        char *function_arn, *trace_id;  /* malloc */
        char request_id[RAPI_REQUEST_ID_MAX + 1];
    } current, offered;
    bool has_offer;                     /* `offered` holds an invocation not fetched yet */
    char deadline[24];                  /* set when the runtime fetches the invocation */
    struct rapi_req *waiting;
    struct rapi_req *receiving;         /* answers whose handler has their head only */
    bool must_run;                      /* a held /next was resumed: MHD must run now */
    unsigned connections;               /* open now (the runtime's) */
    unsigned max_connections;           /* served at once */
    char mhd_error[160];                /* MHD's last complaint, for rapi_create's message */
};

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    struct rapi *r = cls;
    vsnprintf(r->mhd_error, sizeof r->mhd_error, fmt, ap);
    size_t n = strlen(r->mhd_error);
    while (n && (r->mhd_error[n - 1] == '\n' || r->mhd_error[n - 1] == '.'))
        r->mhd_error[--n] = 0;
}

/* ---- answers ------------------------------------------------------------ */

/* conn NULL: the request was cut off (reply_to), nobody is there to be told. */
static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *content_type,
                             const char *body, size_t len, const char *allow)
{
    if (!conn)
        return MHD_YES;
    struct MHD_Response *resp =
        mhd.create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    if (content_type)
        mhd.add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    if (allow)
        mhd.add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result ok = mhd.queue_response(conn, status, resp);
    mhd.destroy_response(resp);
    return ok;
}

/* The emulator's ErrorResponse.  type and message never hold a quote or a
 * backslash (they are ours, not the runtime's), so they need no escaping. */
static enum MHD_Result reply_error(struct MHD_Connection *conn, unsigned status, const char *type,
                                   const char *message)
{
    char body[512];
    int n = snprintf(body, sizeof body, "{\"errorMessage\":\"%s\",\"errorType\":\"%s\"}\n",
                     message, type);
    return reply(conn, status, "application/json", body, (size_t)n, NULL);
}

static enum MHD_Result reply_transition(struct MHD_Connection *conn, enum rapi_state from,
                                        const char *to)
{
    char msg[256];
    snprintf(msg, sizeof msg, "State transition from %s to %s failed for runtime. "
             "Error: State transition is not allowed", state_names[from], to);
    return reply_error(conn, MHD_HTTP_FORBIDDEN, "InvalidStateTransition", msg);
}

static enum MHD_Result reply_accepted(struct MHD_Connection *conn)
{
    static const char ok[] = "{\"status\":\"OK\"}\n";
    return reply(conn, MHD_HTTP_ACCEPTED, "application/json", ok, sizeof ok - 1, NULL);
}

static void inv_free(struct rapi_inv *v)
{
    free(v->event);
    free(v->function_arn);
    free(v->trace_id);
    *v = (struct rapi_inv){ 0 };
}

/* The event of the running invocation, with its headers. */
static enum MHD_Result reply_event(struct rapi *r, struct MHD_Connection *conn)
{
    const struct rapi_inv *v = &r->current;
    struct MHD_Response *resp =
        mhd.create_response_from_buffer(v->event_len, v->event, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    bool ok = mhd.add_response_header(resp, "Lambda-Runtime-Aws-Request-Id", v->request_id) &&
              mhd.add_response_header(resp, "Lambda-Runtime-Deadline-Ms", r->deadline) &&
              mhd.add_response_header(resp, "Lambda-Runtime-Invoked-Function-Arn",
                                      v->function_arn) &&
              mhd.add_response_header(resp, "Lambda-Runtime-Trace-Id", v->trace_id) &&
              mhd.add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    enum MHD_Result res = ok ? mhd.queue_response(conn, MHD_HTTP_OK, resp) : MHD_NO;
    mhd.destroy_response(resp);
    return res;
}

/* Where an answer's reply goes: its connection, or NULL for one cut off
 * (AWS's Runtime API replies 400 TruncatedHTTPRequest to a /response whose
 * body it could not read; libmicrohttpd has closed the connection by then). */
static struct MHD_Connection *reply_to(const struct rapi_req *q)
{
    return q->cut ? NULL : q->conn;
}

/* ---- routing ------------------------------------------------------------ */

static void route_request(struct rapi_req *q, const char *url, const char *method)
{
    bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;
    bool post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
    q->route = ROUTE_NOT_FOUND;
    if (strcmp(url, PING_PATH) == 0) {
        q->route = get ? ROUTE_PING : ROUTE_BAD_METHOD;
        q->allow = MHD_HTTP_METHOD_GET;
        return;
    }
    if (strncmp(url, API_PREFIX, strlen(API_PREFIX)) != 0)
        return;
    const char *rest = url + strlen(API_PREFIX);
    if (strcmp(rest, "invocation/next") == 0) {
        q->route = get ? ROUTE_NEXT : ROUTE_BAD_METHOD;
        q->allow = MHD_HTTP_METHOD_GET;
        return;
    }
    if (strcmp(rest, "init/error") == 0) {
        q->route = post ? ROUTE_INIT_ERROR : ROUTE_BAD_METHOD;
        q->allow = MHD_HTTP_METHOD_POST;
        return;
    }
    static const char inv[] = "invocation/";
    if (strncmp(rest, inv, sizeof inv - 1) != 0)
        return;
    const char *id = rest + sizeof inv - 1;
    const char *slash = strchr(id, '/');
    if (!slash || slash == id)
        return;
    enum route which;
    if (strcmp(slash, "/response") == 0)
        which = ROUTE_RESPONSE;
    else if (strcmp(slash, "/error") == 0)
        which = ROUTE_ERROR;
    else
        return;
    size_t n = (size_t)(slash - id);
    if (n > RAPI_REQUEST_ID_MAX)
        q->id_too_long = true;
    else {
        memcpy(q->id, id, n);
        q->id[n] = 0;
    }
    q->route = post ? which : ROUTE_BAD_METHOD;
    q->allow = MHD_HTTP_METHOD_POST;
}

/* Whether the route takes an answer of the runtime's, whose body is kept. */
static bool is_answer(enum route route)
{
    return route == ROUTE_RESPONSE || route == ROUTE_ERROR || route == ROUTE_INIT_ERROR;
}

/* Keep a chunk of the body, up to the limit; beyond it only count. */
static void keep_body(struct rapi_req *q, const char *data, size_t n)
{
    size_t before = q->total;
    q->total += n;
    if (!is_answer(q->route) || q->no_memory || before >= RAPI_MAX_RESPONSE_BYTES)
        return;
    if (q->route == ROUTE_RESPONSE && q->total > RAPI_MAX_RESPONSE_BYTES) {
        free(q->body);   /* refused whole (413): nothing of it is kept */
        q->body = NULL;
        q->len = q->cap = 0;
        return;
    }
    if (n > RAPI_MAX_RESPONSE_BYTES - q->len)
        n = RAPI_MAX_RESPONSE_BYTES - q->len;
    if (q->len + n + 1 > q->cap) {
        size_t cap = q->cap ? q->cap : 4096;
        while (cap < q->len + n + 1)
            cap *= 2;
        char *grown = realloc(q->body, cap);
        if (!grown) {
            q->no_memory = true;
            return;
        }
        q->body = grown;
        q->cap = cap;
    }
    memcpy(q->body + q->len, data, n);
    q->len += n;
    q->body[q->len] = 0;
}

/* ---- the runtime's requests ---------------------------------------------- */

static enum MHD_Result serve_next(struct rapi *r, struct rapi_req *q)
{
    if (r->state == RS_INIT_ERROR)
        return reply_transition(q->conn, r->state, state_names[RS_READY]);
    if (r->state == RS_RUNNING)
        return reply_event(r, q->conn);   /* asked again: the same invocation */
    if (r->has_offer) {
        inv_free(&r->current);
        r->current = r->offered;
        r->offered = (struct rapi_inv){ 0 };
        r->has_offer = false;
        r->state = RS_RUNNING;
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        snprintf(r->deadline, sizeof r->deadline, "%lld",
                 (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000 + r->current.timeout_ms);
        enum MHD_Result res = reply_event(r, q->conn);
        if (r->cb.delivered)
            r->cb.delivered(r->cb.ctx);
        return res;
    }
    r->state = RS_READY;   /* hold it until rapi_offer() */
    q->suspended = true;
    q->next = r->waiting;
    r->waiting = q;
    mhd.suspend_connection(q->conn);
    return MHD_YES;
}

static enum MHD_Result reply_no_memory(struct MHD_Connection *conn)
{
    return reply_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "InternalServerError",
                       "Internal Server Error");
}

/* An answer's Lambda-Runtime-Function-Error-Type into type ("" when absent);
 * false when its body could not be kept (out of memory). */
static bool answer_readable(const struct rapi_req *q, char type[ERROR_TYPE_MAX + 1])
{
    const char *h = mhd.lookup_connection_value(q->conn, MHD_HEADER_KIND, ERROR_TYPE_HEADER);
    snprintf(type, ERROR_TYPE_MAX + 1, "%s", h ? h : "");
    return !q->no_memory;
}

/* The error a streamed response reports after its start, in the trailers
 * Lambda-Runtime-Function-Error-Type and -Body (base64): AWS "treats this as
 * a successful response and forwards the error metadata that the runtime
 * provides to the client" (docs.aws.amazon.com/lambda/latest/dg/
 * runtimes-custom.html, "Implementing response streaming in a custom
 * runtime"); to a buffered Invoke, as an event source mapping's, that is an
 * error of the trailer's type whose payload is the body decoded, the chunks
 * dropped (aws-lambda-runtime-interface-emulator, lambda-managed-instances'
 * aws-lambda-rie/internal/invoke/responder.go, SendRuntimeResponseTrailers;
 * invoke/runtime_response_request.go, TrailerError: a body that is no base64
 * is none).  Its type into type, "" when it reports none (no trailer, or an
 * empty one); its body into *body (malloc'd, NUL-terminated, *len bytes).
 * false when out of memory. */
static bool trailer_error(const struct rapi_req *q, char type[ERROR_TYPE_MAX + 1], char **body,
                          size_t *len)
{
    const char *t = mhd.lookup_connection_value(q->conn, MHD_FOOTER_KIND, ERROR_TYPE_HEADER);
    snprintf(type, ERROR_TYPE_MAX + 1, "%s", t ? t : "");
    *body = NULL;
    *len = 0;
    if (!type[0])
        return true;
    const char *text = mhd.lookup_connection_value(q->conn, MHD_FOOTER_KIND, ERROR_BODY_TRAILER);
    size_t n = text ? strlen(text) : 0, got = BASE64_DECODE_LENGTH(n);
    uint8_t *out = malloc(got + 1);
    if (!out)
        return false;
    struct base64_decode_ctx ctx;
    base64_decode_init(&ctx);
    if (base64_decode_update(&ctx, &got, out, n, text ? text : "") && base64_decode_final(&ctx))
        *len = got;
    out[*len] = 0;
    *body = (char *)out;
    return true;
}

static enum MHD_Result serve_answer(struct rapi *r, struct rapi_req *q)
{
    struct MHD_Connection *to = reply_to(q);
    bool current = !q->id_too_long && r->current.event && strcmp(q->id, r->current.request_id) == 0;
    if (current && r->state == RS_ANSWERED)
        return reply_transition(to, r->state, q->route == ROUTE_RESPONSE
                                ? "InvocationResponse" : "InvocationErrorResponse");
    if (!current || r->state != RS_RUNNING)
        return reply_error(to, MHD_HTTP_BAD_REQUEST, "InvalidRequestID", "Invalid request ID");
    char type[ERROR_TYPE_MAX + 1];
    if (!answer_readable(q, type))
        return reply_no_memory(to);
    const char *mode = q->route == ROUTE_RESPONSE
        ? mhd.lookup_connection_value(q->conn, MHD_HEADER_KIND, RESPONSE_MODE_HEADER) : NULL;
    bool streamed = mode && strcmp(mode, "streaming") == 0;
    char *trailer_body = NULL;
    size_t trailer_len = 0;
    /* Trailers only of a response that says it streams: the emulator's
     * direct invoke passes them on only then (core/directinvoke/
     * directinvoke.go, sendPayloadLimitedResponse). */
    if (streamed && !q->cut && !trailer_error(q, type, &trailer_body, &trailer_len))
        return reply_no_memory(to);
    r->state = RS_ANSWERED;
    enum MHD_Result res;
    enum rapi_answer kind = q->route == ROUTE_RESPONSE ? RAPI_RESPONSE : RAPI_ERROR;
    const char *body = q->body ? q->body : "";
    size_t len = q->len;
    if (mode && mode[0] && !streamed) {
        /* A response mode other than "streaming" (compared as sent, case
         * and all; an empty one is none): 400, and the invocation fails as
         * Runtime.InvalidResponseModeHeader with no payload, whatever the
         * body's size or whether it came whole (checked before it) - the
         * emulator's internal/lambda/rapi/handler/invocationresponse.go,
         * invocationResponseHandler.ServeHTTP, and rendering/render_error.go,
         * RenderInvalidFunctionResponseMode.  /error takes any mode
         * (invocationerror.go passes it on unchecked). */
        res = reply_error(to, MHD_HTTP_BAD_REQUEST, "InvalidFunctionResponseMode",
                          "Invalid function response mode");
        kind = RAPI_ERROR;
        snprintf(type, sizeof type, "Runtime.InvalidResponseModeHeader");
        body = "";
        len = 0;
    } else if (q->route == ROUTE_RESPONSE && q->total > RAPI_MAX_RESPONSE_BYTES) {
        /* (cut off or not: AWS reads one byte past the limit, then stops) */
        char msg[96];
        snprintf(msg, sizeof msg, "Exceeded maximum allowed payload size (%u bytes).",
                 RAPI_MAX_RESPONSE_BYTES);
        res = reply_error(to, MHD_HTTP_CONTENT_TOO_LARGE, "RequestEntityTooLarge", msg);
        kind = RAPI_TOO_LARGE;
        body = NULL;
        len = q->total;
    } else if (q->cut) {
        /* A body that never came whole: AWS's read of it fails.  A /response
         * then fails as Runtime.TruncatedResponse (invocationresponse.go,
         * interop.ErrTruncatedResponse; fatalerror.TruncatedResponse names
         * it; lambda-managed-instances' responder.go, SendRuntimeResponseBody),
         * with no payload; an /error is reported with its header's type and no
         * payload (invocationerror.go, getErrorBody). */
        res = MHD_YES;
        kind = RAPI_ERROR;
        if (q->route == ROUTE_RESPONSE)
            snprintf(type, sizeof type, "Runtime.TruncatedResponse");
        body = "";
        len = 0;
    } else {
        res = reply_accepted(to);
        if (trailer_body) {
            kind = RAPI_ERROR;
            body = trailer_body;
            len = trailer_len;
        }
    }
    if (r->cb.answered)
        r->cb.answered(r->cb.ctx, kind, type, body, len);
    free(trailer_body);
    return res;
}

/* (cut off, with what came of its body: the emulator's initerror.go keeps
 * what io.ReadAll read before its error) */
static enum MHD_Result serve_init_error(struct rapi *r, struct rapi_req *q)
{
    struct MHD_Connection *to = reply_to(q);
    if (r->state != RS_STARTED)
        return reply_transition(to, r->state, state_names[RS_INIT_ERROR]);
    char type[ERROR_TYPE_MAX + 1];
    if (!answer_readable(q, type))
        return reply_no_memory(to);
    r->state = RS_INIT_ERROR;
    enum MHD_Result res = reply_accepted(to);
    if (r->cb.answered)
        r->cb.answered(r->cb.ctx, RAPI_INIT_ERROR, type, q->body ? q->body : "", q->len);
    return res;
}

/* A request whose body is in, or an answer's cut off (on_completed). */
static enum MHD_Result serve(struct rapi *r, struct rapi_req *q)
{
    switch (q->route) {
    case ROUTE_NEXT: return serve_next(r, q);
    case ROUTE_RESPONSE:
    case ROUTE_ERROR: return serve_answer(r, q);
    case ROUTE_INIT_ERROR: return serve_init_error(r, q);
    case ROUTE_PING: {   /* the emulator's handler/ping.go; Go's server types it */
        static const char pong[] = "pong";
        return reply(q->conn, MHD_HTTP_OK, "text/plain; charset=utf-8", pong, sizeof pong - 1,
                     NULL);
    }
    case ROUTE_BAD_METHOD:
        return reply(q->conn, MHD_HTTP_METHOD_NOT_ALLOWED, NULL, "", 0, q->allow);
    case ROUTE_NOT_FOUND:
        break;
    }
    static const char nf[] = "404 page not found\n";
    return reply(q->conn, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8", nf, sizeof nf - 1, NULL);
}

static void unlink_req(struct rapi_req **list, struct rapi_req *q)
{
    for (struct rapi_req **p = list; *p; p = &(*p)->next)
        if (*p == q) {
            *p = q->next;
            return;
        }
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    struct rapi *r = cls;
    if (r->closing)
        return MHD_NO;
    struct rapi_req *q = *con_cls;
    if (!q) {   /* the headers are in: route it, wait for the body */
        q = calloc(1, sizeof *q);
        if (!q)
            return MHD_NO;
        q->r = r;
        q->conn = conn;
        route_request(q, url, method);
        if (is_answer(q->route)) {
            q->next = r->receiving;
            r->receiving = q;
        }
        *con_cls = q;
        return MHD_YES;
    }
    if (*upload_data_size) {
        keep_body(q, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    q->suspended = false;   /* called again after a resumption */
    if (is_answer(q->route))
        unlink_req(&r->receiving, q);
    q->served = true;
    return serve(r, q);
}

/* A request is over.  An answer that was never served had its head but not
 * its whole body: the runtime closed or half-closed its connection, reset
 * it, or sent a malformed chunk (toe says which; AWS's Runtime API fails to
 * read the body in every case).  It is judged now, as AWS judges an answer
 * whose body it could not read (serve_answer, serve_init_error).  Not while
 * the endpoint closes: rapi_destroy() ends what is left. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    (void)toe;
    struct rapi *r = cls;
    struct rapi_req *q = *con_cls;
    if (!q)
        return;
    if (is_answer(q->route) && !q->served && !r->closing) {
        q->cut = true;
        serve(r, q);
    }
    unlink_req(q->route == ROUTE_NEXT ? &r->waiting : &r->receiving, q);
    free(q->body);
    free(q);
    *con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    (void)conn;
    (void)socket_context;
    struct rapi *r = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED)
        r->connections++;
    else
        r->connections--;
}

/* Resume every held /next: MHD calls the handler for each again, at the
 * next mhd.run(); polled from outside, MHD has no wake-up of its own for
 * this (it drops its inter-thread channel), hence must_run. */
static void resume_waiting(struct rapi *r)
{
    struct rapi_req *q = r->waiting;
    r->waiting = NULL;
    r->must_run |= q != NULL;
    while (q) {
        struct rapi_req *next = q->next;
        q->next = NULL;
        mhd.resume_connection(q->conn);
        q = next;
    }
}

/* ---- the endpoint ---------------------------------------------------------- */

struct rapi *rapi_create(const struct rapi_callbacks *cb, unsigned connections, char *err,
                         size_t errlen)
{
    if (pthread_once(&mhd_once, mhd_load) != 0 || !mhd_loaded) {
        errmsg_set(err, errlen, "Runtime API: cannot load libmicrohttpd: %s",
                   mhd_load_error[0] ? mhd_load_error : "pthread_once failed");
        return NULL;
    }
    struct rapi *r = calloc(1, sizeof *r);
    if (!r) {
        errmsg_set(err, errlen, "Runtime API: out of memory");
        return NULL;
    }
    r->cb = *cb;
    r->state = RS_STARTED;
    r->max_connections = connections;
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = 0,
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    r->daemon = mhd.start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG,
                                 0, NULL, NULL, on_request, r,
                                 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                                 MHD_OPTION_NOTIFY_COMPLETED, on_completed, r,
                                 MHD_OPTION_NOTIFY_CONNECTION, on_connection, r,
                                 MHD_OPTION_CONNECTION_LIMIT, connections,
                                 MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)RAPI_CONNECTION_MEMORY,
                                 MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, r,
                                 MHD_OPTION_END);
    const union MHD_DaemonInfo *port = r->daemon
        ? mhd.get_daemon_info(r->daemon, MHD_DAEMON_INFO_BIND_PORT) : NULL;
    const union MHD_DaemonInfo *ep = r->daemon
        ? mhd.get_daemon_info(r->daemon, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
    if (!port || !ep || port->port == 0) {
        errmsg_set(err, errlen, "Runtime API: cannot listen on 127.0.0.1: %s",
                   r->mhd_error[0] ? r->mhd_error : "libmicrohttpd failed to start");
        if (r->daemon)
            mhd.stop_daemon(r->daemon);
        free(r);
        return NULL;
    }
    r->port = port->port;
    r->epoll_fd = ep->epoll_fd;
    return r;
}

void rapi_destroy(struct rapi *r)
{
    if (!r)
        return;
    /* MHD must not be stopped with a suspended connection: resume the held
     * /next requests and let MHD close them (the handler refuses while
     * closing); a few rounds suffice, each returns at once. */
    r->closing = true;
    bool had_waiting = r->waiting != NULL;
    resume_waiting(r);
    for (int round = 0; had_waiting && round < 8; round++)
        mhd.run(r->daemon);
    mhd.stop_daemon(r->daemon);
    inv_free(&r->current);
    inv_free(&r->offered);
    free(r);
}

uint16_t rapi_port(const struct rapi *r) { return r->port; }

int rapi_fd(const struct rapi *r) { return r->epoll_fd; }

bool rapi_waiting(const struct rapi *r) { return r->waiting != NULL && !r->has_offer; }

bool rapi_full(const struct rapi *r) { return r->connections >= r->max_connections; }

int rapi_timeout_ms(const struct rapi *r)
{
    if (r->must_run)
        return 0;
    MHD_UNSIGNED_LONG_LONG ms;
    if (mhd.get_timeout(r->daemon, &ms) != MHD_YES)
        return -1;
    return ms > INT32_MAX ? INT32_MAX : (int)ms;
}

/* libmicrohttpd (0.9.75 to 0.9.77 at least) misses a runtime's close, or
 * its reset, that comes with the last bytes of a body: driven by epoll
 * (edge-triggered), it reads the bytes, takes a read shorter than it asked
 * for as the end of what is there and waits for the next edge, which never
 * comes (connection.c, recv_param_adapter), so the answer hung until the
 * wall timeout.  An answer whose socket is at its end (or failed) is shut
 * for reading on this side: that edge makes MHD read again, find the end
 * and end the request (on_completed); once each. */
static void nudge_closed(struct rapi *r)
{
    for (struct rapi_req *q = r->receiving; q; q = q->next) {
        const union MHD_ConnectionInfo *ci =
            q->nudged ? NULL : mhd.get_connection_info(q->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (!ci)
            continue;
        char c;
        ssize_t n = recv(ci->connect_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            shutdown(ci->connect_fd, SHUT_RD);
            q->nudged = true;
            r->must_run = true;
        }
    }
}

int rapi_run(struct rapi *r)
{
    r->must_run = false;   /* before: a callback may offer, and resume, again */
    int rc = mhd.run(r->daemon) == MHD_YES ? 0 : -1;
    nudge_closed(r);
    return rc;
}

int rapi_offer(struct rapi *r, const struct rapi_invocation *inv)
{
    if (strlen(inv->request_id) > RAPI_REQUEST_ID_MAX)
        return -1;
    struct rapi_inv v = {
        .event = malloc(inv->event_len ? inv->event_len : 1),
        .event_len = inv->event_len,
        .timeout_ms = inv->timeout_ms,
        .function_arn = strdup(inv->function_arn ? inv->function_arn : ""),
        .trace_id = strdup(inv->trace_id ? inv->trace_id : ""),
    };
    if (!v.event || !v.function_arn || !v.trace_id) {
        inv_free(&v);
        return -1;
    }
    memcpy(v.event, inv->event, inv->event_len);
    snprintf(v.request_id, sizeof v.request_id, "%s", inv->request_id);
    inv_free(&r->offered);
    r->offered = v;
    r->has_offer = true;
    resume_waiting(r);
    return 0;
}
