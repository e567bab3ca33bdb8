/* cvctl free-port: asks the kernel for an unused TCP port on 127.0.0.1. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cvctl/cmd.h"

int
ctl_free_port(const struct cv_config *cfg, int argc, char **argv)
{
    struct sockaddr_in addr;
    socklen_t          addr_len = sizeof(addr);
    int                fd = -1;
    int                status = 1;

    (void)cfg;
    (void)argv;
    if (argc != 0) {
        fprintf(stderr, "usage: cvctl free-port\n");
        return 2;
    }

    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        fprintf(stderr, "cvctl: could not create socket: %s\n", strerror(errno));
        goto out;
    }
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0; /* the kernel picks a port from the ephemeral range */
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &addr_len) != 0) {
        fprintf(stderr, "cvctl: could not bind a loopback port: %s\n", strerror(errno));
        goto out;
    }
    /* NOTE: the port is free when printed; another process may take it before use. */
    printf("%u\n", (unsigned)ntohs(addr.sin_port));
    status = 0;
out:
    if (fd >= 0) {
        close(fd);
    }
    return status;
}
