/* Placeholder until the command is written. */
#include <stdio.h>

#include "cvctl/cmd.h"

int
ctl_free_port(const struct cv_config *cfg, int argc, char **argv)
{
    (void)cfg;
    (void)argc;
    (void)argv;
    fprintf(stderr, "cvctl: not implemented\n");
    return 2;
}
