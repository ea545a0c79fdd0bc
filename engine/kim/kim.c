/* SQLite key info manager (spec 7.2, with our own versioned record encodings).
 *
 * Invariants:
 * - Every public call holds kim->mu for its whole duration; prepared statements are reset
 *   and their bindings cleared before the mutex is released.
 * - SQL text is constant; every value is a bound parameter.
 * - Rows read back are untrusted: each column is type- and range-checked (decode_row) before
 *   anything is copied out. A bad row is never deleted: get reports InvalidEncoding, list
 *   skips it and logs.
 * - sqlite failures are mapped (and logged once) in kim_to_psh_status(). */
#include "kim/kim.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "kim/kim_internal.h"
#include "util/alloc.h"

#define PSH_LOGMODULE kim
#include "util/log.h"

#define KIM_BUSY_TIMEOUT_MS 5000

struct psh_kim {
    sqlite3 *db;
    pthread_mutex_t mu;
    sqlite3_stmt *st_get;
    sqlite3_stmt *st_insert;
    sqlite3_stmt *st_remove;
    sqlite3_stmt *st_list;
    sqlite3_stmt *st_clients;
};

#define KIM_COLUMNS                                                                      \
    "authenticator_id, application_name, key_name, provider_id, provider_name, key_id, " \
    "key_id_version, key_attributes, key_attributes_version"

static const char sql_schema[] =
    "CREATE TABLE kim_metadata (id TEXT PRIMARY KEY NOT NULL, int_value INTEGER NOT NULL);"
    "INSERT INTO kim_metadata (id, int_value) VALUES ('psh_schema_version', 1);"
    "CREATE TABLE key_mapping ("
    " authenticator_id INTEGER NOT NULL,"
    " application_name TEXT NOT NULL,"
    " key_name TEXT NOT NULL,"
    " provider_id INTEGER NOT NULL,"
    " provider_name TEXT NOT NULL,"
    " key_id BLOB NOT NULL,"
    " key_id_version INTEGER NOT NULL,"
    " key_attributes BLOB NOT NULL,"
    " key_attributes_version INTEGER NOT NULL,"
    " PRIMARY KEY (authenticator_id, application_name, key_name));";

static const char sql_get[] = "SELECT " KIM_COLUMNS " FROM key_mapping WHERE "
                              "authenticator_id = ?1 AND application_name = ?2 AND key_name = ?3";
static const char sql_insert[] = "INSERT INTO key_mapping (" KIM_COLUMNS
                                 ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
static const char sql_remove[] = "DELETE FROM key_mapping WHERE "
                                 "authenticator_id = ?1 AND application_name = ?2 AND key_name = ?3";
/* NULL / negative parameters mean "any". */
static const char sql_list[] = "SELECT " KIM_COLUMNS " FROM key_mapping WHERE "
                               "(?1 < 0 OR authenticator_id = ?1) AND "
                               "(?2 IS NULL OR application_name = ?2) AND "
                               "(?3 IS NULL OR provider_name = ?3) "
                               "ORDER BY application_name, key_name";
static const char sql_clients[] = "SELECT DISTINCT application_name FROM key_mapping "
                                  "WHERE authenticator_id != 255 ORDER BY application_name";

/* The one place sqlite result codes become statuses. Logs the native error once. */
static psh_status kim_to_psh_status(sqlite3 *db, int rc, const char *what)
{
    switch (rc) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
        return PSH_SUCCESS;
    case SQLITE_CONSTRAINT_PRIMARYKEY:
        LOG_DEBUG("%s: primary key exists", what);
        return PSH_ERR_PSA_ALREADY_EXISTS;
    default:
        LOG_ERROR("%s: sqlite error %d: %s", what, rc,
                  db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        return PSH_ERR_KEY_INFO_MANAGER_ERROR;
    }
}

/* While opening, the caller gets the reason in err and prints it once: log at debug only. */
static psh_status kim_open_status(sqlite3 *db, int rc, const char *what)
{
    if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE)
        return PSH_SUCCESS;
    LOG_DEBUG("%s: sqlite error %d: %s", what, rc,
              db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    return PSH_ERR_KEY_INFO_MANAGER_ERROR;
}

static void set_err(char *err, size_t err_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t err_size, const char *fmt, ...)
{
    va_list ap;
    if (err == NULL || err_size == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, err_size, fmt, ap);
    va_end(ap);
}

static void stmt_done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/* Binds a C string as text with an explicit length. 0 or -1 (too long). */
static int bind_name(sqlite3_stmt *st, int idx, const char *s)
{
    size_t n = strlen(s);
    if (n > PSH_KIM_MAX_NAME)
        return -1;
    return sqlite3_bind_text(st, idx, s, (int)n, SQLITE_STATIC);
}

/* ---- opening ------------------------------------------------------------------------------ */

/* mkdir -p for the directories above path (mode 0700). 0 or -1 with err set. */
static int make_parent_dirs(const char *path, char *err, size_t err_size)
{
    char buf[PATH_MAX];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf) {
        set_err(err, err_size, "KIM path is empty or too long");
        return -1;
    }
    memcpy(buf, path, n + 1);
    char *slash = strrchr(buf, '/');
    if (slash == NULL || slash == buf)
        return 0;
    *slash = '\0';
    for (char *p = buf + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, 0700) != 0 && errno != EEXIST) {
                set_err(err, err_size, "cannot create directory %s: %s", buf, strerror(errno));
                return -1;
            }
            *p = c;
            if (c == '\0')
                break;
        }
    }
    return 0;
}

/* Creates the file with mode 0600 if missing (sqlite would use 0644 under the usual umask)
 * and makes sure an existing one is 0600 too. */
static int make_private_file(const char *path, char *err, size_t err_size)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        set_err(err, err_size, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    if (fchmod(fd, 0600) != 0)
        LOG_WARN("cannot set mode 0600 on %s: %s", path, strerror(errno));
    close(fd);
    return 0;
}

/* Counts our tables and reports any foreign one. */
static psh_status check_tables(sqlite3 *db, int *ours, char *err, size_t err_size)
{
    psh_status status = PSH_ERR_CORRUPTION;
    sqlite3_stmt *st = NULL;
    int rc;

    *ours = 0;
    rc = sqlite3_prepare_v2(db,
                            "SELECT name FROM sqlite_master WHERE type = 'table' "
                            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
                            -1, &st, NULL);
    if (rc != SQLITE_OK) {
        set_err(err, err_size, "KIM file is not a usable SQLite database: %s",
                sqlite3_errmsg(db));
        status = kim_open_status(db, rc, "read schema");
        goto exit;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        if (name != NULL && (strcmp(name, "kim_metadata") == 0 || strcmp(name, "key_mapping") == 0)) {
            (*ours)++;
            continue;
        }
        set_err(err, err_size, "KIM database holds a foreign table \"%.64s\"",
                name != NULL ? name : "?");
        status = PSH_ERR_KEY_INFO_MANAGER_ERROR;
        goto exit;
    }
    if (rc != SQLITE_DONE) {
        set_err(err, err_size, "KIM file is not a usable SQLite database: %s",
                sqlite3_errmsg(db));
        status = kim_open_status(db, rc, "read schema");
        goto exit;
    }
    status = PSH_SUCCESS;
exit:
    sqlite3_finalize(st);
    return status;
}

static psh_status check_version(sqlite3 *db, char *err, size_t err_size)
{
    psh_status status = PSH_ERR_CORRUPTION;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(
        db, "SELECT int_value FROM kim_metadata WHERE id = 'psh_schema_version'", -1, &st, NULL);
    if (rc != SQLITE_OK) {
        set_err(err, err_size, "KIM schema unreadable: %s", sqlite3_errmsg(db));
        status = kim_open_status(db, rc, "read schema version");
        goto exit;
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        set_err(err, err_size, "KIM database has no psh_schema_version (not a parsec-harness KIM, "
                               "perhaps a Parsec reference database)");
        status = PSH_ERR_KEY_INFO_MANAGER_ERROR;
        goto exit;
    }
    if (rc != SQLITE_ROW) {
        set_err(err, err_size, "KIM schema unreadable: %s", sqlite3_errmsg(db));
        status = kim_open_status(db, rc, "read schema version");
        goto exit;
    }
    if (sqlite3_column_type(st, 0) != SQLITE_INTEGER ||
        sqlite3_column_int64(st, 0) != PSH_KIM_SCHEMA_VERSION) {
        set_err(err, err_size, "KIM schema version %lld is not supported (want %d)",
                (long long)sqlite3_column_int64(st, 0), PSH_KIM_SCHEMA_VERSION);
        status = PSH_ERR_KEY_INFO_MANAGER_ERROR;
        goto exit;
    }
    status = PSH_SUCCESS;
exit:
    sqlite3_finalize(st);
    return status;
}

static psh_status create_or_check_schema(sqlite3 *db, char *err, size_t err_size)
{
    psh_status status = PSH_ERR_CORRUPTION;
    int ours = 0, rc;

    status = check_tables(db, &ours, err, err_size);
    if (status != PSH_SUCCESS)
        goto exit;
    if (ours == 0) {
        /* Fresh database: create both tables in one transaction. */
        rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(db, sql_schema, NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            set_err(err, err_size, "cannot create KIM schema: %s", sqlite3_errmsg(db));
            status = kim_open_status(db, rc, "create schema");
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            goto exit;
        }
    } else if (ours != 2) {
        set_err(err, err_size, "KIM database has an incomplete schema");
        status = PSH_ERR_KEY_INFO_MANAGER_ERROR;
        goto exit;
    }
    status = check_version(db, err, err_size);
exit:
    return status;
}

static psh_status prepare_all(psh_kim *kim, char *err, size_t err_size)
{
    struct {
        const char *sql;
        sqlite3_stmt **st;
    } list[] = {{sql_get, &kim->st_get},       {sql_insert, &kim->st_insert},
                {sql_remove, &kim->st_remove}, {sql_list, &kim->st_list},
                {sql_clients, &kim->st_clients}};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++) {
        int rc = sqlite3_prepare_v2(kim->db, list[i].sql, -1, list[i].st, NULL);
        if (rc != SQLITE_OK) {
            set_err(err, err_size, "KIM table layout is not the expected one: %s",
                    sqlite3_errmsg(kim->db));
            return kim_to_psh_status(kim->db, rc, "prepare");
        }
    }
    return PSH_SUCCESS;
}

psh_status psh_kim_open(const char *path, psh_kim **out, char *err, size_t err_size)
{
    psh_status status = PSH_ERR_CORRUPTION;
    psh_kim *kim = NULL;
    int in_memory, rc;

    if (out != NULL)
        *out = NULL;
    set_err(err, err_size, "%s", "");
    if (path == NULL || out == NULL) {
        set_err(err, err_size, "no KIM path given");
        status = PSH_ERR_KEY_INFO_MANAGER_ERROR;
        goto exit;
    }
    in_memory = strcmp(path, ":memory:") == 0;
    kim = psh_calloc(1, sizeof *kim);
    if (kim == NULL) {
        set_err(err, err_size, "out of memory");
        status = PSH_ERR_KEY_INFO_MANAGER_ERROR;
        goto exit;
    }
    if (pthread_mutex_init(&kim->mu, NULL) != 0) {
        psh_free(kim);
        kim = NULL;
        set_err(err, err_size, "cannot create the KIM mutex");
        status = PSH_ERR_KEY_INFO_MANAGER_ERROR;
        goto exit;
    }
    if (!in_memory && (make_parent_dirs(path, err, err_size) != 0 ||
                       make_private_file(path, err, err_size) != 0)) {
        status = PSH_ERR_KEY_INFO_MANAGER_ERROR;
        goto exit;
    }
    rc = sqlite3_open_v2(path, &kim->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        set_err(err, err_size, "cannot open KIM %s: %s", path,
                kim->db != NULL ? sqlite3_errmsg(kim->db) : sqlite3_errstr(rc));
        status = kim_open_status(kim->db, rc, "open");
        goto exit;
    }
    sqlite3_extended_result_codes(kim->db, 1);
    sqlite3_busy_timeout(kim->db, KIM_BUSY_TIMEOUT_MS);
    /* secure_delete: removed key ids (possibly key material) are overwritten in the file. */
    rc = sqlite3_exec(kim->db, "PRAGMA secure_delete = ON", NULL, NULL, NULL);
    if (rc == SQLITE_OK && !in_memory) {
        /* Crash safety: a committed insert survives power loss. The first read of the file
         * happens here, so a file that is not SQLite fails here. */
        rc = sqlite3_exec(kim->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(kim->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
    }
    if (rc != SQLITE_OK) {
        set_err(err, err_size, "KIM file %s is not a usable SQLite database: %s", path,
                sqlite3_errmsg(kim->db));
        status = kim_open_status(kim->db, rc, "configure");
        goto exit;
    }
    status = create_or_check_schema(kim->db, err, err_size);
    if (status != PSH_SUCCESS)
        goto exit;
    status = prepare_all(kim, err, err_size);
    if (status != PSH_SUCCESS)
        goto exit;
    *out = kim;
    kim = NULL;
exit:
    if (status != PSH_SUCCESS && status != PSH_ERR_KEY_INFO_MANAGER_ERROR)
        status = PSH_ERR_KEY_INFO_MANAGER_ERROR; /* open reports one kind of failure */
    psh_kim_close(kim);
    return status;
}

void psh_kim_close(psh_kim *kim)
{
    if (kim == NULL)
        return;
    sqlite3_finalize(kim->st_get);
    sqlite3_finalize(kim->st_insert);
    sqlite3_finalize(kim->st_remove);
    sqlite3_finalize(kim->st_list);
    sqlite3_finalize(kim->st_clients);
    if (kim->db != NULL)
        sqlite3_close(kim->db);
    pthread_mutex_destroy(&kim->mu);
    psh_free(kim);
}

/* ---- rows --------------------------------------------------------------------------------- */

void psh_kim_entry_free(psh_kim_entry *e)
{
    if (e == NULL)
        return;
    psh_free(e->app);
    psh_free(e->key_name);
    psh_free(e->provider_name);
    psh_free_secret(e->key_id, e->key_id_len);
    psh_free(e);
}

void psh_kim_list_free(psh_kim_entry **list, size_t count)
{
    if (list == NULL)
        return;
    for (size_t i = 0; i < count; i++)
        psh_kim_entry_free(list[i]);
    psh_free(list);
}

void psh_kim_clients_free(char **names, size_t count)
{
    if (names == NULL)
        return;
    for (size_t i = 0; i < count; i++)
        psh_free(names[i]);
    psh_free(names);
}

static int column_u8(sqlite3_stmt *st, int col, uint8_t *v)
{
    if (sqlite3_column_type(st, col) != SQLITE_INTEGER)
        return -1;
    sqlite3_int64 x = sqlite3_column_int64(st, col);
    if (x < 0 || x > 255)
        return -1;
    *v = (uint8_t)x;
    return 0;
}

static int column_is_version_1(sqlite3_stmt *st, int col)
{
    return sqlite3_column_type(st, col) == SQLITE_INTEGER && sqlite3_column_int64(st, col) == 1;
}

/* A TEXT column as a NUL-free C string. 0, -1 (bad), -2 (no memory). */
static int column_name(sqlite3_stmt *st, int col, char **out)
{
    if (sqlite3_column_type(st, col) != SQLITE_TEXT)
        return -1;
    const char *s = (const char *)sqlite3_column_text(st, col);
    int n = sqlite3_column_bytes(st, col);
    if (s == NULL || n < 0 || (size_t)n > PSH_KIM_MAX_NAME || memchr(s, '\0', (size_t)n) != NULL)
        return s == NULL && n == 0 ? -2 : -1;
    *out = psh_strndup(s, (size_t)n);
    return *out == NULL ? -2 : 0;
}

/* Parses the current row (columns in KIM_COLUMNS order).
 * Errors: InvalidEncoding (row does not parse), PsaErrorInsufficientMemory. */
static psh_status decode_row(sqlite3_stmt *st, psh_kim_entry **out)
{
    psh_status status = PSH_ERR_CORRUPTION;
    psh_kim_entry *e = NULL;
    const void *blob;
    int n, r;

    *out = NULL;
    e = psh_calloc(1, sizeof *e);
    if (e == NULL) {
        status = PSH_ERR_PSA_INSUFFICIENT_MEMORY;
        goto exit;
    }
    if (column_u8(st, 0, &e->auth_type) != 0 || column_u8(st, 3, &e->provider_id) != 0 ||
        !column_is_version_1(st, 6) || !column_is_version_1(st, 8) ||
        sqlite3_column_type(st, 5) != SQLITE_BLOB || sqlite3_column_type(st, 7) != SQLITE_BLOB) {
        status = PSH_ERR_INVALID_ENCODING;
        goto exit;
    }
    if ((r = column_name(st, 1, &e->app)) != 0 || (r = column_name(st, 2, &e->key_name)) != 0 ||
        (r = column_name(st, 4, &e->provider_name)) != 0) {
        status = r == -2 ? PSH_ERR_PSA_INSUFFICIENT_MEMORY : PSH_ERR_INVALID_ENCODING;
        goto exit;
    }
    blob = sqlite3_column_blob(st, 7);
    n = sqlite3_column_bytes(st, 7);
    status = psh_kim_attrs_decode(blob, n < 0 ? 0 : (size_t)n, &e->attrs);
    if (status != PSH_SUCCESS)
        goto exit;
    blob = sqlite3_column_blob(st, 5);
    n = sqlite3_column_bytes(st, 5);
    if (n < 0 || (size_t)n > PSH_KIM_MAX_KEY_ID) {
        status = PSH_ERR_INVALID_ENCODING;
        goto exit;
    }
    if (n > 0) {
        if (blob == NULL || (e->key_id = psh_malloc((size_t)n)) == NULL) {
            status = PSH_ERR_PSA_INSUFFICIENT_MEMORY;
            goto exit;
        }
        memcpy(e->key_id, blob, (size_t)n);
        e->key_id_len = (size_t)n;
    }
    *out = e;
    e = NULL;
    status = PSH_SUCCESS;
exit:
    psh_kim_entry_free(e);
    return status;
}

/* ---- operations --------------------------------------------------------------------------- */

static psh_status bind_identity(psh_kim *kim, sqlite3_stmt *st, uint8_t auth_type, const char *app,
                                const char *key_name)
{
    int rc = sqlite3_bind_int(st, 1, auth_type);
    if (rc == SQLITE_OK)
        rc = bind_name(st, 2, app);
    if (rc == SQLITE_OK)
        rc = bind_name(st, 3, key_name);
    if (rc == -1)
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    return kim_to_psh_status(kim->db, rc, "bind");
}

psh_status psh_kim_get(psh_kim *kim, uint8_t auth_type, const char *app, const char *key_name,
                       psh_kim_entry **out)
{
    psh_status status = PSH_ERR_CORRUPTION;
    int rc;

    if (out != NULL)
        *out = NULL;
    if (kim == NULL || app == NULL || key_name == NULL || out == NULL)
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    pthread_mutex_lock(&kim->mu);
    status = bind_identity(kim, kim->st_get, auth_type, app, key_name);
    if (status != PSH_SUCCESS)
        goto exit;
    rc = sqlite3_step(kim->st_get);
    if (rc == SQLITE_DONE) {
        status = PSH_ERR_PSA_DOES_NOT_EXIST;
        goto exit;
    }
    if (rc != SQLITE_ROW) {
        status = kim_to_psh_status(kim->db, rc, "get");
        goto exit;
    }
    status = decode_row(kim->st_get, out);
    if (status == PSH_ERR_INVALID_ENCODING)
        LOG_ERROR("get: stored row for a key of app \"%.64s\" does not parse", app);
exit:
    stmt_done(kim->st_get);
    pthread_mutex_unlock(&kim->mu);
    return status;
}

psh_status psh_kim_insert(psh_kim *kim, const psh_kim_entry *e)
{
    psh_status status = PSH_ERR_CORRUPTION;
    uint8_t attrs[PSH_KIM_ATTRS_RECORD_SIZE];
    sqlite3_stmt *st;
    int rc;

    if (kim == NULL || e == NULL || e->app == NULL || e->key_name == NULL ||
        e->provider_name == NULL || (e->key_id == NULL && e->key_id_len != 0) ||
        e->key_id_len > PSH_KIM_MAX_KEY_ID || e->attrs.bits > PSH_KIM_MAX_KEY_BITS)
        return PSH_ERR_PSA_INVALID_ARGUMENT; /* never write a row we could not read back */
    psh_kim_attrs_encode(&e->attrs, attrs);
    pthread_mutex_lock(&kim->mu);
    st = kim->st_insert;
    status = bind_identity(kim, st, e->auth_type, e->app, e->key_name);
    if (status != PSH_SUCCESS)
        goto exit;
    rc = sqlite3_bind_int(st, 4, e->provider_id);
    if (rc == SQLITE_OK)
        rc = bind_name(st, 5, e->provider_name);
    if (rc == SQLITE_OK)
        rc = e->key_id_len == 0 ? sqlite3_bind_zeroblob(st, 6, 0)
                                : sqlite3_bind_blob(st, 6, e->key_id, (int)e->key_id_len,
                                                    SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int(st, 7, PSH_KIM_KEY_ID_VERSION);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_blob(st, 8, attrs, (int)sizeof attrs, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int(st, 9, PSH_KIM_ATTRS_VERSION);
    if (rc == -1) {
        status = PSH_ERR_PSA_INVALID_ARGUMENT;
        goto exit;
    }
    if (rc != SQLITE_OK) {
        status = kim_to_psh_status(kim->db, rc, "insert: bind");
        goto exit;
    }
    /* One statement in autocommit mode: atomic on its own. */
    rc = sqlite3_step(st);
    status = kim_to_psh_status(kim->db, rc == SQLITE_DONE ? SQLITE_OK : rc, "insert");
exit:
    stmt_done(st);
    pthread_mutex_unlock(&kim->mu);
    return status;
}

psh_status psh_kim_remove(psh_kim *kim, uint8_t auth_type, const char *app, const char *key_name)
{
    psh_status status = PSH_ERR_CORRUPTION;
    int rc;

    if (kim == NULL || app == NULL || key_name == NULL)
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    pthread_mutex_lock(&kim->mu);
    status = bind_identity(kim, kim->st_remove, auth_type, app, key_name);
    if (status != PSH_SUCCESS)
        goto exit;
    rc = sqlite3_step(kim->st_remove);
    if (rc != SQLITE_DONE) {
        status = kim_to_psh_status(kim->db, rc, "remove");
        goto exit;
    }
    status = sqlite3_changes(kim->db) == 0 ? PSH_ERR_PSA_DOES_NOT_EXIST : PSH_SUCCESS;
exit:
    stmt_done(kim->st_remove);
    pthread_mutex_unlock(&kim->mu);
    return status;
}

/* Appends to a growing pointer array (doubling). 0 or -1 (no memory / over the cap). */
static int push_ptr(void ***arr, size_t *count, size_t *cap, void *item)
{
    if (*count == *cap) {
        size_t ncap = *cap == 0 ? 16 : *cap * 2;
        if (ncap > PSH_KIM_LIST_MAX)
            ncap = PSH_KIM_LIST_MAX;
        if (ncap <= *count || ncap > SIZE_MAX / sizeof(void *))
            return -1;
        void **n = psh_realloc(*arr, ncap * sizeof(void *));
        if (n == NULL)
            return -1;
        *arr = n;
        *cap = ncap;
    }
    (*arr)[(*count)++] = item;
    return 0;
}

psh_status psh_kim_list(psh_kim *kim, int auth_type, const char *app, const char *provider_name,
                        psh_kim_entry ***out, size_t *count)
{
    psh_status status = PSH_ERR_CORRUPTION;
    void **list = NULL;
    size_t n = 0, cap = 0, skipped = 0;
    psh_kim_entry *e = NULL;
    sqlite3_stmt *st;
    int rc;

    if (out != NULL)
        *out = NULL;
    if (count != NULL)
        *count = 0;
    if (kim == NULL || out == NULL || count == NULL || auth_type > 255)
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    pthread_mutex_lock(&kim->mu);
    st = kim->st_list;
    rc = sqlite3_bind_int(st, 1, auth_type < 0 ? -1 : auth_type);
    if (rc == SQLITE_OK)
        rc = app != NULL ? bind_name(st, 2, app) : sqlite3_bind_null(st, 2);
    if (rc == SQLITE_OK)
        rc = provider_name != NULL ? bind_name(st, 3, provider_name) : sqlite3_bind_null(st, 3);
    if (rc != SQLITE_OK) {
        status = rc == -1 ? PSH_ERR_PSA_INVALID_ARGUMENT
                          : kim_to_psh_status(kim->db, rc, "list: bind");
        goto exit;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        status = decode_row(st, &e);
        if (status == PSH_ERR_INVALID_ENCODING) {
            skipped++; /* kept in the table: never lose a stored key */
            continue;
        }
        if (status != PSH_SUCCESS)
            goto exit;
        if (push_ptr(&list, &n, &cap, e) != 0) {
            LOG_ERROR("list: more than %u rows or out of memory", (unsigned)PSH_KIM_LIST_MAX);
            status = PSH_ERR_PSA_INSUFFICIENT_MEMORY;
            goto exit;
        }
        e = NULL;
    }
    if (rc != SQLITE_DONE) {
        status = kim_to_psh_status(kim->db, rc, "list");
        goto exit;
    }
    if (skipped > 0)
        LOG_ERROR("list: skipped %zu stored row(s) that do not parse", skipped);
    *out = (psh_kim_entry **)list;
    *count = n;
    list = NULL;
    status = PSH_SUCCESS;
exit:
    stmt_done(st);
    pthread_mutex_unlock(&kim->mu);
    psh_kim_entry_free(e);
    psh_kim_list_free((psh_kim_entry **)list, n);
    return status;
}

psh_status psh_kim_list_clients(psh_kim *kim, char ***out, size_t *count)
{
    psh_status status = PSH_ERR_CORRUPTION;
    void **list = NULL;
    size_t n = 0, cap = 0;
    char *name = NULL;
    sqlite3_stmt *st;
    int rc, r;

    if (out != NULL)
        *out = NULL;
    if (count != NULL)
        *count = 0;
    if (kim == NULL || out == NULL || count == NULL)
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    pthread_mutex_lock(&kim->mu);
    st = kim->st_clients;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        r = column_name(st, 0, &name);
        if (r == -1) {
            LOG_ERROR("list_clients: skipped an application name that does not parse");
            continue;
        }
        if (r != 0 || push_ptr(&list, &n, &cap, name) != 0) {
            status = PSH_ERR_PSA_INSUFFICIENT_MEMORY;
            goto exit;
        }
        name = NULL;
    }
    if (rc != SQLITE_DONE) {
        status = kim_to_psh_status(kim->db, rc, "list_clients");
        goto exit;
    }
    *out = (char **)list;
    *count = n;
    list = NULL;
    status = PSH_SUCCESS;
exit:
    stmt_done(st);
    pthread_mutex_unlock(&kim->mu);
    psh_free(name);
    psh_kim_clients_free((char **)list, n);
    return status;
}
