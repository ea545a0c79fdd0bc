/* AFL++ persistent-mode main for the libFuzzer-style targets (built only with afl-clang-fast,
 * which defines the __AFL_* macros). Each input comes from AFL's shared-memory test case
 * buffer, is copied into an exact-size heap block (so ASan sees a read one past the end, as
 * with libFuzzer) and handed to LLVMFuzzerTestOneInput; 10000 inputs per fork.
 * Outside afl-fuzz: `target FILE...` runs each file once, `target < FILE` runs stdin once. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

__AFL_FUZZ_INIT();

static void run_one(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size > 0 ? size : 1);
    if (copy == NULL)
        abort();
    if (size > 0)
        memcpy(copy, data, size);
    LLVMFuzzerTestOneInput(copy, size);
    free(copy);
}

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0, n;
    if (f == NULL) {
        fprintf(stderr, "afl_driver: cannot open %s\n", path);
        return 1;
    }
    do {
        if (len == cap) {
            uint8_t *b2 = realloc(buf, cap = cap ? cap * 2 : 4096);
            if (b2 == NULL)
                abort();
            buf = b2;
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
    } while (n > 0);
    fclose(f);
    run_one(buf, len);
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    int rc = 0;
    if (LLVMFuzzerInitialize != NULL)
        LLVMFuzzerInitialize(&argc, &argv);
    if (argc > 1) { /* replay files named on the command line, no fuzzing */
        for (int i = 1; i < argc; i++)
            rc |= run_file(argv[i]);
        return rc;
    }
    /* Engines and other once-only state are set up before the fork server starts. */
    __AFL_INIT();
    const uint8_t *buf = __AFL_FUZZ_TESTCASE_BUF;
    while (__AFL_LOOP(10000)) {
        int len = __AFL_FUZZ_TESTCASE_LEN;
        run_one(buf, len > 0 ? (size_t)len : 0);
    }
    return 0;
}

/* fuzz_operation's custom mutator calls libFuzzer's mutator, which AFL builds lack: leave the
 * bytes as they are (AFL mutates them itself). */
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size)
{
    (void)data;
    (void)max_size;
    return size;
}
