/* Minimal reproducer of a SoftHSM 2.6 object-store race (docs/pkcs11.md, "SoftHSM and
 * concurrency"); not built by CMake, run by hand:
 *
 *   cc -O1 -I/usr/include/p11-kit-1 -o /tmp/p11race tests/reliability/p11_store_race.c -ldl -lpthread
 *   scripts/softhsm-token start /tmp/tok && . /tmp/tok/env && export SOFTHSM2_CONF
 *   /tmp/p11race "$PSH_P11_LIB" 8 10 0    # no lock: a few C_GenerateKeyPair fail with 0x5
 *   /tmp/p11race "$PSH_P11_LIB" 8 10 3    # generation exclusive with searches: none fail
 *
 * T threads, each with its own session (C_Initialize with CKF_OS_LOCKING_OK), loop: generate
 * an EC P-256 token key pair under a random CKA_ID, find its objects by CKA_ID, destroy them.
 * mode: 0 no lock; 1 generation under a mutex (generations serialised, searches free);
 * 2 searches under the mutex; 3 generation and searches under one rwlock, generation
 * shared, searches exclusive (what the provider does). Prints the CK_RV of each failure.
 * Measured 23 Nov 2026 on tmpfs, 8 threads, 10 s: mode 0: 23 of 5,405 failed (CKR_GENERAL_ERROR,
 * SoftHSM logs "Could not initialize the attribute"), each leaving an object file no search
 * finds; mode 1: 2 of 4,639; mode 3: 0 of 3,924 (and 0 of 6,038 with generation exclusive too). */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <p11-kit/pkcs11.h>

static CK_FUNCTION_LIST_PTR f;
static CK_SLOT_ID slot;
static int seconds, mode;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER, count_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static long gen_ok, gen_bad;

static void gen_lock(int on)
{
    if (mode == 1)
        on ? pthread_mutex_lock(&mu) : pthread_mutex_unlock(&mu);
    else if (mode == 3)
        on ? pthread_rwlock_rdlock(&rw) : pthread_rwlock_unlock(&rw);
}

static void find_lock(int on)
{
    if (mode == 2)
        on ? pthread_mutex_lock(&mu) : pthread_mutex_unlock(&mu);
    else if (mode == 3)
        on ? pthread_rwlock_wrlock(&rw) : pthread_rwlock_unlock(&rw);
}

static void *worker(void *unused)
{
    static const unsigned char p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
    CK_BBOOL yes = CK_TRUE;
    CK_SESSION_HANDLE s;
    time_t end = time(NULL) + seconds;
    (void)unused;
    if (f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s) != CKR_OK)
        return NULL;
    f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR) "1234", 4);
    while (time(NULL) < end) {
        unsigned char id[16];
        CK_ATTRIBUTE pub[] = {{CKA_TOKEN, &yes, 1}, {CKA_ID, id, 16}, {CKA_VERIFY, &yes, 1},
                              {CKA_EC_PARAMS, (void *)p256, sizeof p256}};
        CK_ATTRIBUTE priv[] = {{CKA_TOKEN, &yes, 1}, {CKA_ID, id, 16}, {CKA_SIGN, &yes, 1},
                               {CKA_PRIVATE, &yes, 1}, {CKA_SENSITIVE, &yes, 1}};
        CK_ATTRIBUTE q[] = {{CKA_ID, id, 16}};
        CK_MECHANISM m = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
        CK_OBJECT_HANDLE ho, hv, found[8];
        CK_ULONG n = 0;
        CK_RV rv;
        f->C_GenerateRandom(s, id, sizeof id);
        gen_lock(1);
        rv = f->C_GenerateKeyPair(s, &m, pub, 4, priv, 5, &ho, &hv);
        gen_lock(0);
        pthread_mutex_lock(&count_mu);
        if (rv != CKR_OK) {
            gen_bad++;
            printf("C_GenerateKeyPair: 0x%lx\n", (unsigned long)rv);
        } else {
            gen_ok++;
        }
        pthread_mutex_unlock(&count_mu);
        find_lock(1);
        if (f->C_FindObjectsInit(s, q, 1) == CKR_OK) {
            f->C_FindObjects(s, found, 8, &n);
            f->C_FindObjectsFinal(s);
        }
        for (CK_ULONG i = 0; i < n; i++)
            f->C_DestroyObject(s, found[i]);
        find_lock(0);
    }
    f->C_CloseSession(s);
    return NULL;
}

int main(int argc, char **argv)
{
    CK_C_GetFunctionList get;
    CK_C_INITIALIZE_ARGS args = {0};
    CK_SLOT_ID slots[8];
    CK_ULONG ns = 8;
    pthread_t th[64];
    void *dl;
    int threads;
    if (argc < 4 || (dl = dlopen(argv[1], RTLD_NOW)) == NULL) {
        fprintf(stderr, "usage: %s MODULE THREADS SECONDS [MODE 0-3]\n", argv[0]);
        return 2;
    }
    threads = atoi(argv[2]);
    seconds = atoi(argv[3]);
    mode = argc > 4 ? atoi(argv[4]) : 0;
    if (threads < 1 || threads > 64)
        return 2;
    *(void **)&get = dlsym(dl, "C_GetFunctionList");
    args.flags = CKF_OS_LOCKING_OK;
    if (get == NULL || get(&f) != CKR_OK || f->C_Initialize(&args) != CKR_OK ||
        f->C_GetSlotList(CK_TRUE, slots, &ns) != CKR_OK || ns == 0)
        return 1;
    slot = slots[0];
    for (int i = 0; i < threads; i++)
        pthread_create(&th[i], NULL, worker, NULL);
    for (int i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
    printf("threads=%d mode=%d: C_GenerateKeyPair ok=%ld failed=%ld\n", threads, mode, gen_ok,
           gen_bad);
    f->C_Finalize(NULL);
    return gen_bad != 0;
}
