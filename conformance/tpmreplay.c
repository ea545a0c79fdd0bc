/* Backend sessions, one layer down: a TPM command stream recorded by the TPM provider's
 * recording TCTI, replayed against swtpm (or any TCTI). Not built yet. */
#include "conform.h"

#include <stdio.h>

int psh_cf_main_replay_tpm(int argc, char **argv);

int psh_cf_main_replay_tpm(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "psh-conform replay-tpm: not available in this build\n");
    return 2;
}
