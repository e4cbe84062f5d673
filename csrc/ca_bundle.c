/* The CA bundle used when the caller names none (see ca_bundle.h). */
#define _GNU_SOURCE
#include "ca_bundle.h"

#include <unistd.h>

const char *const iam_ca_bundles[] = {
    "/etc/ssl/certs/ca-certificates.crt",                /* Debian, Ubuntu, Arch */
    "/etc/pki/tls/certs/ca-bundle.crt",                  /* RHEL, Fedora, Amazon Linux */
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", /* RHEL 9 and later */
    "/etc/ssl/ca-bundle.pem",                            /* openSUSE, SLES */
    "/etc/ssl/cert.pem",                                 /* Alpine */
    NULL,
};

const char *iam_ca_pick(const char *env, const char *builtin, const char *const *candidates)
{
    if (env && *env)
        return env; /* even if unreadable: the TLS error then names it */
    if (builtin && access(builtin, R_OK) == 0)
        return NULL;
    for (const char *const *c = candidates; *c; c++)
        if (access(*c, R_OK) == 0)
            return *c;
    return NULL;
}
