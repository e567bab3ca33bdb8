/*
 * The smallest useful FastCGI responder, a baseline for tests/bench/bench_api.py. An
 * FCGX_Accept_r loop responds to every request with {"status":"ok"} and the header
 * lines that cv-api sends with /healthz. It reads no parameters, no body and no
 * configuration, and logs nothing, so its throughput is what libfcgi, spawn-fcgi and
 * nginx's FastCGI path cost by themselves. Started by spawn-fcgi, which passes the
 * listening socket as fd 0; ends on SIGTERM.
 */
#include <stdio.h>
#include <string.h>

#include <fcgiapp.h>

/* The header lines and body of cv-api's GET /healthz, less its X-Request-Id, which
 * nginx hides from the client anyway (fastcgi_hide_header). */
static const char response[] =
    "Status: 200 OK\r\n"
    "Cache-Control: no-store\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "Content-Type: application/json; charset=utf-8\r\n"
    "Content-Length: 15\r\n"
    "\r\n"
    "{\"status\":\"ok\"}";

int
main(void)
{
    FCGX_Request  fcgx;
    int           len = (int)strlen(response);
    unsigned long served = 0;

    if (FCGX_Init() != 0 || FCGX_InitRequest(&fcgx, 0, 0) != 0) {
        fprintf(stderr, "minimal_fcgi: could not initialise libfcgi\n");
        return 1;
    }
    while (FCGX_Accept_r(&fcgx) >= 0) {
        /* A failed write means nginx closed the connection; the next request is
         * unaffected, so the error is not reported. */
        (void)FCGX_PutStr(response, len, fcgx.out);
        FCGX_Finish_r(&fcgx);
        served++;
    }
    fprintf(stderr, "minimal_fcgi: accept failed after %lu requests\n", served);
    return 1;
}
