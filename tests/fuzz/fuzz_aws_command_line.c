/* credential_process command lines from the AWS config file: the word
 * splitting (POSIX shell rules without expansions) done instead of a shell. */
#define _GNU_SOURCE
#include "fuzz.h"
#include "aws_credentials.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *line = fuzz_cstr(data, size);
    char **argv = NULL;
    int argc = -1;
    iam_error err;
    iam_error_clear(&err);
    int rc = iam_aws_split_command(&argv, &argc, line, &err);
    if (rc == IAM_OK) {
        FUZZ_ASSERT(argv && argc >= 1 && argv[argc] == NULL);
        size_t total = 0;
        for (int i = 0; i < argc; i++)
            total += strlen(argv[i]);
        FUZZ_ASSERT(total <= strlen(line)); /* quotes and escapes only ever remove */
        iam_aws_argv_free(argv);
    } else {
        FUZZ_ASSERT(rc == IAM_E_CONFIG && !argv && argc == 0);
        FUZZ_ASSERT(strncmp(err.message, "credential_process ", 19) == 0);
        /* The message names the problem, never the command (it may hold a
         * secret in an argument). */
        if (strlen(line) >= 8)
            FUZZ_ASSERT(!strstr(err.message, line));
    }
    free(line);
    return 0;
}
