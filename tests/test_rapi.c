/*
 * test_rapi.c - the Runtime API endpoint (rapi.h, SPEC section 4, issue 12
 * item 1) probed with raw HTTP over a socket: the long poll of /next, the
 * documented headers, 202 for answers, 400 / 403 / 404 / 405 / 413 with the
 * emulator's bodies, init/error before and after the first /next, and an
 * endpoint destroyed while a /next is held.  A thread plays the owner's
 * loop (poll, rapi_run) under a lock, as handler_pool.c's I/O thread does.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "rapi.h"

/* ---- the owner: a polling thread and what the callbacks saw ---------------- */

struct owner {
    pthread_mutex_t mu;
    pthread_t thread;
    int wake[2];     /* offer() wakes the loop, as hdl_submit() wakes handler_pool.c's */
    struct rapi *api;
    bool stop;
    int delivered;
    int answered;
    enum rapi_answer kind;
    char type[300];
    char *body;
    size_t len;
};

static void on_delivered(void *ctx)
{
    struct owner *o = ctx;
    o->delivered++;
}

static void on_answered(void *ctx, enum rapi_answer kind, const char *type, const char *body,
                        size_t len)
{
    struct owner *o = ctx;
    o->answered++;
    o->kind = kind;
    snprintf(o->type, sizeof o->type, "%s", type);
    free(o->body);
    o->body = body ? strdup(body) : NULL;
    o->len = len;
}

static void *owner_loop(void *arg)
{
    struct owner *o = arg;
    for (;;) {
        pthread_mutex_lock(&o->mu);
        if (o->stop) {
            pthread_mutex_unlock(&o->mu);
            return NULL;
        }
        struct pollfd pfd[2] = { { .fd = rapi_fd(o->api), .events = POLLIN },
                                 { .fd = o->wake[0], .events = POLLIN } };
        int ms = rapi_timeout_ms(o->api);   /* no cap: a missed wake-up hangs the test */
        pthread_mutex_unlock(&o->mu);
        poll(pfd, 2, ms);
        pthread_mutex_lock(&o->mu);
        char drain[64];
        if (pfd[1].revents && read(o->wake[0], drain, sizeof drain) < 0)
            perror("read");
        rapi_run(o->api);
        pthread_mutex_unlock(&o->mu);
    }
}

static uint16_t owner_start(struct owner *o)
{
    memset(o, 0, sizeof *o);
    pthread_mutex_init(&o->mu, NULL);
    if (pipe(o->wake) < 0)
        exit(1);
    struct rapi_callbacks cb = { .ctx = o, .delivered = on_delivered, .answered = on_answered };
    char err[256];
    o->api = rapi_create(&cb, RAPI_CONNECTION_LIMIT, err, sizeof err);
    if (!o->api) {
        fprintf(stderr, "rapi_create: %s\n", err);
        exit(1);
    }
    pthread_create(&o->thread, NULL, owner_loop, o);
    return rapi_port(o->api);
}

static void owner_stop(struct owner *o)
{
    pthread_mutex_lock(&o->mu);
    o->stop = true;
    pthread_mutex_unlock(&o->mu);
    if (write(o->wake[1], "s", 1) != 1)
        perror("write");
    pthread_join(o->thread, NULL);
    close(o->wake[0]);
    close(o->wake[1]);
    rapi_destroy(o->api);
    free(o->body);
    pthread_mutex_destroy(&o->mu);
}

static void offer(struct owner *o, const char *id, const char *event, int64_t timeout_ms)
{
    struct rapi_invocation inv = {
        .request_id = id, .event = event, .event_len = strlen(event), .timeout_ms = timeout_ms,
        .function_arn = "arn:aws:lambda:us-east-1:123456789012:function:f",
        .trace_id = "Root=1-00000001-000000000000000000000001;Parent=0000000000000001;Sampled=0",
    };
    pthread_mutex_lock(&o->mu);
    CHECK_INT(rapi_offer(o->api, &inv), 0);
    pthread_mutex_unlock(&o->mu);
    if (write(o->wake[1], "o", 1) != 1)
        perror("write");
}

/* ---- raw HTTP ----------------------------------------------------------------- */

struct reply {
    int status;
    char *text;        /* the whole answer, headers and body (malloc) */
    const char *body;  /* into text */
};

static int connect_to(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        perror("connect");
        exit(1);
    }
    return fd;
}

static void write_all(int fd, const char *data, size_t len)
{
    for (size_t off = 0; off < len; ) {
        ssize_t w = write(fd, data + off, len - off);
        if (w <= 0) {
            perror("write");
            break;
        }
        off += (size_t)w;
    }
}

/* The request line and the headers before the caller's, and the framing
 * after them: what request_head_len() counts. */
#define HEAD_START "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
#define HEAD_END "Content-Length: %zu\r\n\r\n"

static void send_request(int fd, const char *method, const char *path, const char *headers,
                         const char *body, size_t len)
{
    char part[512];
    int n = snprintf(part, sizeof part, HEAD_START, method, path);
    write_all(fd, part, (size_t)n);
    if (headers)
        write_all(fd, headers, strlen(headers));
    n = snprintf(part, sizeof part, HEAD_END, len);
    write_all(fd, part, (size_t)n);
    write_all(fd, body, len);
}

/* The bytes of the request head send_request() sends beside the caller's
 * headers. */
static size_t request_head_len(const char *method, const char *path, size_t body_len)
{
    return (size_t)snprintf(NULL, 0, HEAD_START, method, path) +
           (size_t)snprintf(NULL, 0, HEAD_END, body_len);
}

/* Read to end of file; status 0 when nothing came (timeout or closed). */
static struct reply read_reply(int fd)
{
    struct reply r = { 0 };
    size_t cap = 4096, len = 0;
    r.text = malloc(cap);
    for (;;) {
        if (len + 1 >= cap)
            r.text = realloc(r.text, cap *= 2);
        ssize_t n = read(fd, r.text + len, cap - len - 1);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    r.text[len] = 0;
    sscanf(r.text, "HTTP/1.%*d %d", &r.status);
    char *sep = strstr(r.text, "\r\n\r\n");
    r.body = sep ? sep + 4 : "";
    return r;
}

static struct reply request(uint16_t port, const char *method, const char *path,
                            const char *headers, const char *body, size_t len)
{
    int fd = connect_to(port);
    send_request(fd, method, path, headers, body, len);
    struct reply r = read_reply(fd);
    close(fd);
    return r;
}

/* A header's value in a reply ("" when absent), case as sent. */
static const char *header(const struct reply *r, const char *name, char *buf, size_t len)
{
    buf[0] = 0;
    char pat[128];
    snprintf(pat, sizeof pat, "\r\n%s: ", name);
    const char *h = strstr(r->text, pat);
    if (h && h < r->body) {
        h += strlen(pat);
        size_t n = strcspn(h, "\r");
        snprintf(buf, len, "%.*s", (int)n, h);
    }
    return buf;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#define NEXT "/2018-06-01/runtime/invocation/next"
#define INV "/2018-06-01/runtime/invocation/"

/* Wait (up to 5 s) until the callbacks have seen n answers: a request cut
 * off is noticed by the owner's loop, not by the client's call. */
static int answered_within(struct owner *o, int n)
{
    int seen = 0;
    for (int waited = 0; waited < 5000; waited += 10) {
        pthread_mutex_lock(&o->mu);
        seen = o->answered;
        pthread_mutex_unlock(&o->mu);
        if (seen >= n)
            break;
        nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
    }
    return seen;
}

/* Offer an invocation and fetch it. */
static void offer_fetched(struct owner *o, uint16_t port, const char *id)
{
    offer(o, id, "{}", 1000);
    struct reply r = request(port, "GET", NEXT, NULL, "", 0);
    CHECK_INT(r.status, 200);
    free(r.text);
}


/* ---- the tests ------------------------------------------------------------------ */

static void test_routes_and_status_codes(void)
{
    struct owner o;
    uint16_t port = owner_start(&o);
    char h[256];

    /* unknown paths and methods: 404 and 405, never a crash */
    struct reply r = request(port, "GET", "/2018-06-01/runtime/nothing", NULL, "", 0);
    CHECK_INT(r.status, 404);
    CHECK_STR(r.body, "404 page not found\n");
    free(r.text);
    r = request(port, "GET", "/", NULL, "", 0);
    CHECK_INT(r.status, 404);
    free(r.text);
    r = request(port, "POST", INV "abc/retry", NULL, "{}", 2);
    CHECK_INT(r.status, 404);
    free(r.text);
    r = request(port, "GET", INV "abc/response", NULL, "", 0);
    CHECK_INT(r.status, 405);
    CHECK_STR(header(&r, "Allow", h, sizeof h), "POST");
    free(r.text);
    r = request(port, "POST", NEXT, NULL, "", 0);
    CHECK_INT(r.status, 405);
    CHECK_STR(header(&r, "Allow", h, sizeof h), "GET");
    free(r.text);

    /* an answer with no invocation: 400 InvalidRequestID, the emulator's body */
    r = request(port, "POST", INV "nobody/response", NULL, "{}", 2);
    CHECK_INT(r.status, 400);
    CHECK_STR(r.body, "{\"errorMessage\":\"Invalid request ID\",\"errorType\":\"InvalidRequestID\"}\n");
    CHECK_STR(header(&r, "Content-Type", h, sizeof h), "application/json");
    free(r.text);
    CHECK_INT(o.answered, 0);

    /* /next is held (long poll) until an invocation is offered */
    int fd = connect_to(port);
    struct timeval tv = { .tv_sec = 0, .tv_usec = 300000 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    send_request(fd, "GET", NEXT, NULL, "", 0);
    char probe[16];
    ssize_t got = read(fd, probe, sizeof probe);
    CHECK(got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));   /* nothing yet */
    CHECK_INT(o.delivered, 0);
    tv.tv_sec = 10;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    const char *event = "{\"Records\":[{\"kinesis\":{\"sequenceNumber\":\"7\"}}]}";
    int64_t before = wall_ms();
    offer(&o, "req-1", event, 3000);
    r = read_reply(fd);
    close(fd);
    int64_t after = wall_ms();
    CHECK_INT(r.status, 200);
    CHECK_STR(r.body, event);
    CHECK_STR(header(&r, "Lambda-Runtime-Aws-Request-Id", h, sizeof h), "req-1");
    CHECK_STR(header(&r, "Lambda-Runtime-Invoked-Function-Arn", h, sizeof h),
              "arn:aws:lambda:us-east-1:123456789012:function:f");
    CHECK_STR(header(&r, "Lambda-Runtime-Trace-Id", h, sizeof h),
              "Root=1-00000001-000000000000000000000001;Parent=0000000000000001;Sampled=0");
    CHECK_STR(header(&r, "Content-Type", h, sizeof h), "application/json");
    long long deadline = atoll(header(&r, "Lambda-Runtime-Deadline-Ms", h, sizeof h));
    CHECK(deadline >= before + 3000 && deadline <= after + 3000);   /* wall now + timeout */
    free(r.text);
    CHECK_INT(o.delivered, 1);

    /* /next again while it runs: the same invocation (the emulator's Running state) */
    r = request(port, "GET", NEXT, NULL, "", 0);
    CHECK_INT(r.status, 200);
    CHECK_STR(header(&r, "Lambda-Runtime-Aws-Request-Id", h, sizeof h), "req-1");
    free(r.text);
    CHECK_INT(o.delivered, 1);

    /* another id: 400; the right one, /error: 202 and the callback */
    r = request(port, "POST", INV "req-2/response", NULL, "{}", 2);
    CHECK_INT(r.status, 400);
    free(r.text);
    const char *err_body = "{\"errorMessage\":\"boom\",\"errorType\":\"ValueError\",\"stackTrace\":[]}";
    r = request(port, "POST", INV "req-1/error", "Lambda-Runtime-Function-Error-Type: ValueError\r\n",
                err_body, strlen(err_body));
    CHECK_INT(r.status, 202);
    CHECK_STR(r.body, "{\"status\":\"OK\"}\n");
    free(r.text);
    CHECK_INT(o.answered, 1);
    CHECK_INT(o.kind, RAPI_ERROR);
    CHECK_STR(o.type, "ValueError");
    CHECK_STR(o.body, err_body);

    /* answered twice: 403 InvalidStateTransition; init/error after start: 403 */
    r = request(port, "POST", INV "req-1/response", NULL, "{}", 2);
    CHECK_INT(r.status, 403);
    CHECK_STR(r.body, "{\"errorMessage\":\"State transition from RuntimeResponseSentState to "
              "InvocationResponse failed for runtime. Error: State transition is not allowed\","
              "\"errorType\":\"InvalidStateTransition\"}\n");
    free(r.text);
    r = request(port, "POST", "/2018-06-01/runtime/init/error", NULL, "{}", 2);
    CHECK_INT(r.status, 403);
    CHECK_STR(r.body, "{\"errorMessage\":\"State transition from RuntimeResponseSentState to "
              "InitError failed for runtime. Error: State transition is not allowed\","
              "\"errorType\":\"InvalidStateTransition\"}\n");
    free(r.text);
    CHECK_INT(o.answered, 1);

    /* a response over 6 MiB + 100 bytes: 413, the invocation told TOO_LARGE */
    offer(&o, "req-2", "{}", 1000);
    r = request(port, "GET", NEXT, NULL, "", 0);
    CHECK_STR(header(&r, "Lambda-Runtime-Aws-Request-Id", h, sizeof h), "req-2");
    free(r.text);
    size_t big = RAPI_MAX_RESPONSE_BYTES + 1;
    char *payload = malloc(big);
    memset(payload, 'x', big);
    r = request(port, "POST", INV "req-2/response", NULL, payload, big);
    CHECK_INT(r.status, 413);
    CHECK_STR(r.body, "{\"errorMessage\":\"Exceeded maximum allowed payload size (6291556 bytes).\","
              "\"errorType\":\"RequestEntityTooLarge\"}\n");
    free(r.text);
    CHECK_INT(o.answered, 2);
    CHECK_INT(o.kind, RAPI_TOO_LARGE);
    CHECK(o.body == NULL);
    CHECK_INT(o.len, big);

    /* exactly the limit: accepted whole */
    offer(&o, "req-3", "{}", 1000);
    r = request(port, "GET", NEXT, NULL, "", 0);
    free(r.text);
    r = request(port, "POST", INV "req-3/response", NULL, payload, big - 1);
    CHECK_INT(r.status, 202);
    free(r.text);
    CHECK_INT(o.kind, RAPI_RESPONSE);
    CHECK_INT(o.len, big - 1);
    CHECK(o.body && strlen(o.body) == big - 1);
    CHECK_STR(o.type, "");
    free(payload);

    /* the answered id stays answered (403) until the runtime fetches the next
     * one, offered or not: the owner's timing never changes an answer's fate */
    offer(&o, "req-4", "{}", 1000);
    r = request(port, "POST", INV "req-3/response", NULL, "{}", 2);
    CHECK_INT(r.status, 403);
    free(r.text);
    r = request(port, "POST", INV "req-4/response", NULL, "{}", 2);   /* not fetched yet */
    CHECK_INT(r.status, 400);
    free(r.text);
    r = request(port, "GET", NEXT, NULL, "", 0);
    CHECK_STR(header(&r, "Lambda-Runtime-Aws-Request-Id", h, sizeof h), "req-4");
    free(r.text);
    r = request(port, "POST", INV "req-3/response", NULL, "{}", 2);   /* gone now */
    CHECK_INT(r.status, 400);
    free(r.text);
    CHECK_INT(o.answered, 3);
    owner_stop(&o);
}

/* Lambda-Runtime-Function-Response-Mode on /response: "streaming" or none is
 * taken; any other value (case as sent) is 400 InvalidFunctionResponseMode and
 * the invocation fails as Runtime.InvalidResponseModeHeader, even when its
 * body is over the limit; /error takes any mode (README, "Run your own
 * handler"; the emulator's invocationresponse.go). */
static void test_response_mode(void)
{
    struct owner o;
    uint16_t port = owner_start(&o);
    char h[256];
    static const char bad_mode[] =
        "{\"errorMessage\":\"Invalid function response mode\","
        "\"errorType\":\"InvalidFunctionResponseMode\"}\n";

    offer(&o, "m-1", "{}", 1000);
    struct reply r = request(port, "GET", NEXT, NULL, "", 0);
    free(r.text);
    r = request(port, "POST", INV "m-1/response", "Lambda-Runtime-Function-Response-Mode: buffered\r\n",
                "{\"ok\":1}", 8);
    CHECK_INT(r.status, 400);
    CHECK_STR(r.body, bad_mode);
    CHECK_STR(header(&r, "Content-Type", h, sizeof h), "application/json");
    free(r.text);
    CHECK_INT(o.answered, 1);
    CHECK_INT(o.kind, RAPI_ERROR);
    CHECK_STR(o.type, "Runtime.InvalidResponseModeHeader");
    CHECK_STR(o.body, "");
    CHECK_INT(o.len, 0);
    r = request(port, "POST", INV "m-1/response", NULL, "{}", 2);   /* it is over */
    CHECK_INT(r.status, 403);
    free(r.text);

    /* the comparison is case-sensitive; over the limit, the mode is judged first */
    offer(&o, "m-2", "{}", 1000);
    r = request(port, "GET", NEXT, NULL, "", 0);
    free(r.text);
    size_t big = RAPI_MAX_RESPONSE_BYTES + 1;
    char *payload = malloc(big);
    memset(payload, 'x', big);
    r = request(port, "POST", INV "m-2/response", "Lambda-Runtime-Function-Response-Mode: Streaming\r\n",
                payload, big);
    CHECK_INT(r.status, 400);
    CHECK_STR(r.body, bad_mode);
    free(r.text);
    free(payload);
    CHECK_INT(o.answered, 2);
    CHECK_INT(o.kind, RAPI_ERROR);
    CHECK_STR(o.type, "Runtime.InvalidResponseModeHeader");

    /* "streaming" and an empty value: taken, as without the header */
    const char *modes[] = { "streaming", "" };
    for (int i = 0; i < 2; i++) {
        char id[8], path[64], head[96];
        snprintf(id, sizeof id, "m-%d", 3 + i);
        snprintf(path, sizeof path, INV "%s/response", id);
        snprintf(head, sizeof head, "Lambda-Runtime-Function-Response-Mode: %s\r\n", modes[i]);
        offer(&o, id, "{}", 1000);
        r = request(port, "GET", NEXT, NULL, "", 0);
        free(r.text);
        r = request(port, "POST", path, head, "{\"ok\":1}", 8);
        CHECK_INT(r.status, 202);
        free(r.text);
        CHECK_INT(o.kind, RAPI_RESPONSE);
        CHECK_STR(o.body, "{\"ok\":1}");
    }

    /* /error: any mode, posted as usual */
    offer(&o, "m-5", "{}", 1000);
    r = request(port, "GET", NEXT, NULL, "", 0);
    free(r.text);
    r = request(port, "POST", INV "m-5/error", "Lambda-Runtime-Function-Response-Mode: buffered\r\n"
                "Lambda-Runtime-Function-Error-Type: ValueError\r\n", "{}", 2);
    CHECK_INT(r.status, 202);
    free(r.text);
    CHECK_INT(o.kind, RAPI_ERROR);
    CHECK_STR(o.type, "ValueError");
    CHECK_INT(o.answered, 5);
    owner_stop(&o);
}

/* An answer whose request is cut off (its head declared more body than came,
 * then the runtime closed or half-closed its connection): AWS's Runtime API
 * gets a read error on the body.  /response fails the invocation as
 * Runtime.TruncatedResponse with no payload (the emulator's
 * invocationresponse.go, interop.ErrTruncatedResponse, whose type
 * fatalerror.TruncatedResponse is; aws-lambda-rie of lambda-managed-instances,
 * internal/invoke/responder.go), /error fails it with its header's type and
 * no payload (invocationerror.go, getErrorBody), /init/error with what came
 * of the body (initerror.go).  The invocation is answered (403 for another
 * answer), the runtime may go on.  Nothing happened: the invocation waited
 * for the handler's wall timeout. */
static void test_cut_answers(void)
{
    struct owner o;
    uint16_t port = owner_start(&o);
    static const char head[] = "POST " INV "%s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s"
                               "Content-Length: 100\r\n\r\n0123456789";
    static const struct {
        const char *id, *path, *headers;
        int how;   /* 0 half-close, 1 close, 2 reset; 3 half-close at once (with the bytes) */
        enum rapi_answer kind;
        const char *type, *body;
    } cases[] = {
        { "c-1", "c-1/response", "", 0, RAPI_ERROR, "Runtime.TruncatedResponse", "" },
        { "c-2", "c-2/response", "Lambda-Runtime-Function-Response-Mode: streaming\r\n", 1,
          RAPI_ERROR, "Runtime.TruncatedResponse", "" },
        { "c-3", "c-3/response", "", 2, RAPI_ERROR, "Runtime.TruncatedResponse", "" },
        { "c-4", "c-4/error", "Lambda-Runtime-Function-Error-Type: ValueError\r\n", 0,
          RAPI_ERROR, "ValueError", "" },
        { "c-5", "c-5/response", "", 3, RAPI_ERROR, "Runtime.TruncatedResponse", "" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        offer_fetched(&o, port, cases[i].id);
        int fd = connect_to(port);
        struct timeval tv = { .tv_sec = 5 };   /* a hang fails, not hangs */
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        char text[512];
        int n = snprintf(text, sizeof text, head, cases[i].path, cases[i].headers);
        write_all(fd, text, (size_t)n);
        if (cases[i].how != 3)
            nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);   /* the head is served */
        if (cases[i].how == 0 || cases[i].how == 3) {
            shutdown(fd, SHUT_WR);
            struct reply r = read_reply(fd);
            CHECK_INT(r.status, 0);   /* closed, unanswered (AWS: 400 TruncatedHTTPRequest) */
            free(r.text);
        }
        if (cases[i].how == 2)
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &(struct linger){ .l_onoff = 1, .l_linger = 0 },
                       sizeof(struct linger));
        close(fd);
        CHECK_INT(answered_within(&o, (int)i + 1), (int)i + 1);
        pthread_mutex_lock(&o.mu);
        CHECK_INT(o.kind, cases[i].kind);
        CHECK_STR(o.type, cases[i].type);
        CHECK_STR(o.body, cases[i].body);
        CHECK_INT(o.len, strlen(cases[i].body));
        pthread_mutex_unlock(&o.mu);
        char path[64];
        snprintf(path, sizeof path, INV "%s", cases[i].path);
        struct reply r = request(port, "POST", path, NULL, "{}", 2);
        CHECK_INT(r.status, 403);   /* answered */
        free(r.text);
    }
    /* a malformed chunk: the body cannot be read either (libmicrohttpd says
     * 400 itself) */
    offer_fetched(&o, port, "c-6");
    int bad = connect_to(port);
    static const char chunked[] = "POST " INV "c-6/response HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                  "Connection: close\r\nTransfer-Encoding: chunked\r\n"
                                  "Lambda-Runtime-Function-Response-Mode: streaming\r\n\r\n"
                                  "3\r\n{\"a\r\nzz\r\n";
    write_all(bad, chunked, sizeof chunked - 1);
    struct reply cr = read_reply(bad);
    close(bad);
    CHECK_INT(cr.status, 400);
    free(cr.text);
    CHECK_INT(answered_within(&o, 6), 6);
    CHECK_STR(o.type, "Runtime.TruncatedResponse");

    /* the whole body, then at once a half-close or a close: a whole answer */
    for (int how = 0; how < 2; how++) {
        char id[8], text[512];
        snprintf(id, sizeof id, "w-%d", how);
        offer_fetched(&o, port, id);
        int fd = connect_to(port);
        int n = snprintf(text, sizeof text, "POST " INV "%s/response HTTP/1.1\r\n"
                         "Host: 127.0.0.1\r\nConnection: close\r\n"
                         "Content-Length: 7\r\n\r\n{\"a\":1}", id);
        write_all(fd, text, (size_t)n);
        if (how == 0) {
            shutdown(fd, SHUT_WR);
            struct reply r = read_reply(fd);
            CHECK_INT(r.status, 202);
            free(r.text);
        }
        close(fd);
        CHECK_INT(answered_within(&o, 7 + how), 7 + how);
        pthread_mutex_lock(&o.mu);
        CHECK_INT(o.kind, RAPI_RESPONSE);
        CHECK_STR(o.body, "{\"a\":1}");
        pthread_mutex_unlock(&o.mu);
    }

    /* cut before the head is whole: no request (AWS's server never routes it) */
    offer_fetched(&o, port, "c-7");
    int fd = connect_to(port);
    static const char half[] = "POST " INV "c-7/response HTTP/1.1\r\nContent-Len";
    write_all(fd, half, sizeof half - 1);
    close(fd);
    nanosleep(&(struct timespec){ .tv_nsec = 300000000 }, NULL);
    CHECK_INT(answered_within(&o, 9), 8);
    struct reply r = request(port, "POST", INV "c-7/response", NULL, "{}", 2);
    CHECK_INT(r.status, 202);
    free(r.text);
    CHECK_INT(o.kind, RAPI_RESPONSE);
    owner_stop(&o);

    /* /init/error cut off: the init failed, with the part of the body that came */
    uint16_t port2 = owner_start(&o);
    offer(&o, "i-1", "{}", 1000);
    fd = connect_to(port2);
    static const char init[] = "POST /2018-06-01/runtime/init/error HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                               "Lambda-Runtime-Function-Error-Type: Runtime.ImportModuleError\r\n"
                               "Content-Length: 100\r\n\r\n{\"errorType\":";
    write_all(fd, init, sizeof init - 1);
    nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
    close(fd);
    CHECK_INT(answered_within(&o, 1), 1);
    CHECK_INT(o.kind, RAPI_INIT_ERROR);
    CHECK_STR(o.type, "Runtime.ImportModuleError");
    CHECK_STR(o.body, "{\"errorType\":");
    owner_stop(&o);
}

/* A streaming /response (Lambda-Runtime-Function-Response-Mode: streaming,
 * chunked): its chunks are the response; an error after its start comes in
 * the trailers Lambda-Runtime-Function-Error-Type and -Body (base64), which
 * AWS "treats as a successful response" (202) and "forwards the error
 * metadata ... to the client" (docs.aws.amazon.com/lambda/latest/dg/
 * runtimes-custom.html, "Implementing response streaming in a custom
 * runtime"): to a buffered Invoke, as an event source mapping's, the error
 * type and the decoded body, not the chunks (aws-lambda-rie of
 * lambda-managed-instances, internal/invoke/responder.go,
 * SendRuntimeResponseTrailers; invoke/runtime_response_request.go,
 * TrailerError: a body that is no base64 is empty).  Trailers of a response
 * not streamed are not read (the emulator's directinvoke.go,
 * sendPayloadLimitedResponse).  They were ignored: a success of the chunks. */
static void test_streaming_trailers(void)
{
    struct owner o;
    uint16_t port = owner_start(&o);
    static const char doc[] = "{\"errorType\":\"StreamError\",\"errorMessage\":\"stream broke\"}";
    static const char doc64[] = "eyJlcnJvclR5cGUiOiJTdHJlYW1FcnJvciIsImVycm9yTWVzc2FnZSI6"
                                "InN0cmVhbSBicm9rZSJ9";   /* doc, base64 */
    char trailers[512];
    snprintf(trailers, sizeof trailers, "Lambda-Runtime-Function-Error-Type: Function.StreamError\r\n"
             "Lambda-Runtime-Function-Error-Body: %s\r\n", doc64);
    static const struct {
        const char *mode, *trailers;
        enum rapi_answer kind;
        const char *type, *body;
    } cases[] = {
        { "streaming", NULL, RAPI_ERROR, "Function.StreamError", doc },
        { "streaming", "", RAPI_RESPONSE, "", "{\"a\":1}" },
        { "streaming", "Lambda-Runtime-Function-Error-Type: Runtime.Broken\r\n"
          "Lambda-Runtime-Function-Error-Body: not base64!\r\n", RAPI_ERROR, "Runtime.Broken", "" },
        { "streaming", "Lambda-Runtime-Function-Error-Type: Runtime.Broken\r\n", RAPI_ERROR,
          "Runtime.Broken", "" },
        { "streaming", "Lambda-Runtime-Function-Error-Type: \r\n"
          "Lambda-Runtime-Function-Error-Body: eyJ9\r\n", RAPI_RESPONSE, "", "{\"a\":1}" },
        { NULL, NULL, RAPI_RESPONSE, "", "{\"a\":1}" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char id[8], text[1024];
        snprintf(id, sizeof id, "s-%zu", i);
        offer_fetched(&o, port, id);
        int fd = connect_to(port);
        char mode[96] = "";
        if (cases[i].mode)
            snprintf(mode, sizeof mode, "Lambda-Runtime-Function-Response-Mode: %s\r\n", cases[i].mode);
        int n = snprintf(text, sizeof text,
                         "POST " INV "%s/response HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                         "%sTransfer-Encoding: chunked\r\nTrailer: Lambda-Runtime-Function-Error-Type, "
                         "Lambda-Runtime-Function-Error-Body\r\n\r\n3\r\n{\"a\r\n4\r\n\":1}\r\n0\r\n%s\r\n",
                         id, mode, cases[i].trailers ? cases[i].trailers : trailers);
        write_all(fd, text, (size_t)n);
        struct reply r = read_reply(fd);
        close(fd);
        CHECK_INT(r.status, 202);
        free(r.text);
        CHECK_INT(o.answered, (int)i + 1);
        CHECK_INT(o.kind, cases[i].kind);
        CHECK_STR(o.type, cases[i].type);
        CHECK_STR(o.body, cases[i].body);
        CHECK_INT(o.len, strlen(cases[i].body));
    }
    owner_stop(&o);
}

/* GET /2018-06-01/ping: 200 "pong", kept by AWS's Runtime API "to respect
 * Hyrum's Law" (the emulator's internal/lambda/rapi/router.go, handler/
 * ping.go; Go's server types it text/plain); another method: 405.  It was 404. */
static void test_ping(void)
{
    struct owner o;
    uint16_t port = owner_start(&o);
    char h[256];
    struct reply r = request(port, "GET", "/2018-06-01/ping", NULL, "", 0);
    CHECK_INT(r.status, 200);
    CHECK_STR(r.body, "pong");
    CHECK_STR(header(&r, "Content-Type", h, sizeof h), "text/plain; charset=utf-8");
    free(r.text);
    r = request(port, "POST", "/2018-06-01/ping", NULL, "", 0);
    CHECK_INT(r.status, 405);
    CHECK_STR(header(&r, "Allow", h, sizeof h), "GET");
    free(r.text);
    r = request(port, "GET", "/2018-06-01/runtime/ping", NULL, "", 0);
    CHECK_INT(r.status, 404);
    free(r.text);
    CHECK_INT(o.answered, 0);
    owner_stop(&o);
}

static void test_init_error(void)
{
    struct owner o;
    uint16_t port = owner_start(&o);
    offer(&o, "req-1", "{}", 1000);   /* the invocation a cold start was for */
    const char *doc = "{\"errorMessage\":\"Unable to import module 'app'\","
                      "\"errorType\":\"Runtime.ImportModuleError\"}";
    struct reply r = request(port, "POST", "/2018-06-01/runtime/init/error",
                             "Lambda-Runtime-Function-Error-Type: Runtime.ImportModuleError\r\n",
                             doc, strlen(doc));
    CHECK_INT(r.status, 202);
    free(r.text);
    CHECK_INT(o.answered, 1);
    CHECK_INT(o.kind, RAPI_INIT_ERROR);
    CHECK_STR(o.type, "Runtime.ImportModuleError");
    CHECK_STR(o.body, doc);
    CHECK_INT(o.delivered, 0);
    r = request(port, "GET", NEXT, NULL, "", 0);
    CHECK_INT(r.status, 403);
    CHECK_STR(r.body, "{\"errorMessage\":\"State transition from InitError to Ready failed for "
              "runtime. Error: State transition is not allowed\","
              "\"errorType\":\"InvalidStateTransition\"}\n");
    free(r.text);
    CHECK_INT(o.delivered, 0);
    owner_stop(&o);
}

/* A request head as large as AWS's Runtime API reads (rapi.h,
 * RAPI_MAX_HEADER_BYTES: Go's net/http default, 1 MiB + 4096 bytes) is
 * served: awslambdaric posts an error's X-Ray cause in a header of up to
 * 1 MiB (aws-lambda-python-runtime-interface-client,
 * awslambdaric/lambda_runtime_client.py, post_invocation_error), e.g. a
 * RecursionError's thousand frames.  It was refused with 431 over about
 * 32 KiB (libmicrohttpd's default memory per connection), and the runtime
 * could not report its error.  One far larger is refused with 431. */
static void test_large_headers(void)
{
    struct owner o;
    uint16_t port = owner_start(&o);
    offer(&o, "req-1", "{}", 1000);
    struct reply r = request(port, "GET", NEXT, NULL, "", 0);
    CHECK_INT(r.status, 200);
    free(r.text);

    const char *path = INV "req-1/error";
    const char *doc = "{\"errorMessage\":\"maximum recursion depth exceeded\","
                      "\"errorType\":\"RecursionError\"}";
    static const char name[] = "Lambda-Runtime-Function-XRay-Error-Cause: ";
    size_t fixed = request_head_len("POST", path, strlen(doc)) + strlen(name) + 2;
    size_t big = 2 * RAPI_MAX_HEADER_BYTES;
    char *headers = malloc(big + 1);
    for (int round = 0; round < 2; round++) {
        /* the whole head: exactly the most AWS reads, then twice as much */
        size_t head = round == 0 ? RAPI_MAX_HEADER_BYTES : big;
        size_t value = head - fixed;
        memcpy(headers, name, strlen(name));
        memset(headers + strlen(name), 'x', value);
        memcpy(headers + strlen(name) + value, "\r\n", 3);
        CHECK_INT(request_head_len("POST", path, strlen(doc)) + strlen(headers), head);
        r = request(port, "POST", path, headers, doc, strlen(doc));
        if (round == 0) {
            CHECK_INT(r.status, 202);
            CHECK_INT(o.answered, 1);
            CHECK_INT(o.kind, RAPI_ERROR);
            CHECK_STR(o.body, doc);
        } else {
            CHECK_INT(r.status, 431);
            CHECK_INT(o.answered, 1);   /* nothing more */
        }
        free(r.text);
    }
    free(headers);
    owner_stop(&o);
}

/* Destroyed while a /next is held: the connection is closed, nothing leaks
 * (ASan) and nothing hangs. */
static void test_destroy_with_held_next(void)
{
    struct owner o;
    uint16_t port = owner_start(&o);
    int fd = connect_to(port);
    struct timeval tv = { .tv_sec = 10 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    send_request(fd, "GET", NEXT, NULL, "", 0);
    nanosleep(&(struct timespec){ .tv_nsec = 200000000 }, NULL);   /* let the server hold it */
    owner_stop(&o);
    struct reply r = read_reply(fd);
    CHECK_INT(r.status, 0);   /* closed without an answer */
    free(r.text);
    close(fd);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);   /* a refused request's unread rest: EPIPE, not death */
    test_routes_and_status_codes();
    test_response_mode();
    test_init_error();
    test_cut_answers();
    test_streaming_trailers();
    test_ping();
    test_large_headers();
    test_destroy_with_held_next();
    return check_done();
}
