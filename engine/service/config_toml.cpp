// Parsec's config.toml (spec section 8) read with toml++ into psh_service_config.
// The only C++ file of the service: it exposes psh_service_config_parse with C linkage and
// lets no exception out. Internally a check that fails throws Fail; the one catch site in
// psh_service_config_parse turns it into a status and a one-line message naming the key.
#include "service/config.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

extern "C" {
#define PSH_LOGMODULE service
#include "util/alloc.h"
#include "util/log.h"
}

namespace {

struct Fail {
    psh_status status;
    std::string msg;
};

// Appends " (line N)" when toml++ knows where the node came from.
[[noreturn]] void fail(psh_status status, const toml::node *where, std::string msg)
{
    if (where != nullptr && where->source().begin.line != 0)
        msg += " (line " + std::to_string(where->source().begin.line) + ")";
    throw Fail{status, std::move(msg)};
}

[[noreturn]] void bad(const toml::node *where, std::string msg)
{
    fail(PSH_ERR_INVALID_ENCODING, where, std::move(msg));
}

std::string q(const std::string &key)
{
    return "'" + key + "'";
}

// One table being read: its dotted name for messages ("core_settings", "provider[1]").
struct Section {
    const toml::table &t;
    std::string name;

    std::string path(const char *key) const { return name.empty() ? key : name + "." + key; }
    const toml::node *get(const char *key) const { return t.get(key); }

    // Warns about every key not in known: Parsec ignores them too, and a typo should be seen.
    void warn_unknown(psh_service_config *cfg, std::initializer_list<const char *> known) const
    {
        for (auto &&[k, v] : t) {
            bool found = false;
            for (const char *kn : known)
                found = found || k.str() == kn;
            if (!found)
                psh_service_config_warn(cfg, "unknown key '%s' ignored (line %u)",
                                        path(std::string(k.str()).c_str()).c_str(),
                                        static_cast<unsigned>(v.source().begin.line));
        }
    }

    bool get_bool(const char *key, int *out) const
    {
        const toml::node *n = get(key);
        if (n == nullptr)
            return false;
        if (!n->is_boolean())
            bad(n, q(path(key)) + " must be true or false");
        *out = n->as_boolean()->get() ? 1 : 0;
        return true;
    }

    bool get_int(const char *key, int64_t min, int64_t max, int64_t *out) const
    {
        const toml::node *n = get(key);
        if (n == nullptr)
            return false;
        if (!n->is_integer())
            bad(n, q(path(key)) + " must be an integer");
        int64_t v = n->as_integer()->get();
        if (v < min || v > max)
            bad(n, q(path(key)) + " is " + std::to_string(v) + ", must be " +
                       std::to_string(min) + ".." + std::to_string(max));
        *out = v;
        return true;
    }

    const toml::node *require(const char *key) const
    {
        const toml::node *n = get(key);
        if (n == nullptr)
            bad(&t, "missing required key " + q(path(key)));
        return n;
    }

    const std::string *get_string_node(const char *key) const
    {
        const toml::node *n = get(key);
        if (n == nullptr)
            return nullptr;
        if (!n->is_string())
            bad(n, q(path(key)) + " must be a string");
        return &n->as_string()->get();
    }

    // Copies into a fixed C field: no NUL inside, fits with its terminator.
    bool get_string(const char *key, char *dst, size_t dst_size, bool allow_empty = false) const
    {
        const std::string *s = get_string_node(key);
        if (s == nullptr)
            return false;
        const toml::node *n = get(key);
        if (s->find('\0') != std::string::npos)
            bad(n, q(path(key)) + " must not contain NUL characters");
        if (s->size() >= dst_size)
            bad(n, q(path(key)) + " is longer than " + std::to_string(dst_size - 1) + " bytes");
        if (s->empty() && !allow_empty)
            bad(n, q(path(key)) + " must not be empty");
        std::memcpy(dst, s->data(), s->size());
        dst[s->size()] = '\0';
        return true;
    }

    // A PIN or hierarchy auth: "hex:"/"str:" decoding (spec 8). Never echoes the value.
    bool get_secret(const char *key, uint8_t *dst, size_t dst_size, size_t *dst_len) const
    {
        const std::string *s = get_string_node(key);
        if (s == nullptr)
            return false;
        psh_status st = psh_service_decode_secret(s->data(), s->size(), dst, dst_size, dst_len);
        if (st == PSH_ERR_PSA_BUFFER_TOO_SMALL)
            bad(get(key), q(path(key)) + " decodes to more than " + std::to_string(dst_size) +
                              " bytes");
        if (st != PSH_SUCCESS)
            bad(get(key), q(path(key)) + " has a \"hex:\" prefix but is not an even number of "
                                         "hex digits");
        return true;
    }

    Section sub_table(const char *key, bool required) const
    {
        const toml::node *n = required ? require(key) : get(key);
        static const toml::table empty;
        if (n == nullptr)
            return Section{empty, path(key)};
        if (!n->is_table())
            bad(n, q(path(key)) + " must be a table ([" + path(key) + "])");
        return Section{*n->as_table(), path(key)};
    }
};

// Parsec spells these exactly; anything else is a clear error.
void read_core_settings(const toml::table &root, psh_service_config *cfg)
{
    Section s = Section{root, ""}.sub_table("core_settings", true);
    s.warn_unknown(cfg, {"allow_root", "thread_pool_size", "idle_listener_sleep_duration",
                         "log_level", "log_timestamp", "body_len_limit", "log_error_details",
                         "buffer_size_limit", "allow_deprecated"});
    int64_t v = 0;
    s.get_bool("allow_root", &cfg->allow_root);
    if (s.get_int("thread_pool_size", 1, PSH_SERVICE_THREADS_MAX, &v))
        cfg->thread_pool_size = static_cast<unsigned>(v);
    if (s.get_int("idle_listener_sleep_duration", 0, UINT32_MAX, &v))
        cfg->idle_listener_sleep_ms = static_cast<unsigned>(v);
    if (s.get_string("log_level", cfg->log_level, sizeof cfg->log_level)) {
        bool ok = false;
        for (const char *l : {"error", "warn", "info", "debug", "trace"})
            ok = ok || std::strcmp(cfg->log_level, l) == 0;
        if (!ok)
            bad(s.get("log_level"), "'core_settings.log_level' must be one of \"error\", "
                                    "\"warn\", \"info\", \"debug\", \"trace\"");
    }
    s.get_bool("log_timestamp", &cfg->log_timestamp);
    s.get_bool("log_error_details", &cfg->log_error_details);
    if (s.get_int("body_len_limit", 1, PSH_SERVICE_BODY_LIMIT_MAX, &v))
        cfg->engine.body_len_limit = static_cast<size_t>(v);
    if (s.get_int("buffer_size_limit", 1, PSH_SERVICE_BODY_LIMIT_MAX, &v))
        cfg->engine.buffer_size_limit = static_cast<size_t>(v);
    s.get_bool("allow_deprecated", &cfg->engine.allow_deprecated);
}

void read_listener(const toml::table &root, psh_service_config *cfg)
{
    Section s = Section{root, ""}.sub_table("listener", true);
    s.warn_unknown(cfg, {"listener_type", "timeout", "socket_path", "max_connections"});
    char type[32];
    s.require("listener_type");
    s.get_string("listener_type", type, sizeof type);
    if (std::strcmp(type, "DomainSocket") != 0)
        bad(s.get("listener_type"), "'listener.listener_type' must be \"DomainSocket\" "
                                    "(the only listener Parsec defines)");
    int64_t v = 0;
    s.require("timeout");
    s.get_int("timeout", 1, PSH_SERVICE_TIMEOUT_MAX_MS, &v);
    cfg->timeout_ms = static_cast<unsigned>(v);
    // sockaddr_un.sun_path is 108 bytes including the terminator.
    char path[PSH_PATH_MAX];
    if (s.get_string("socket_path", path, sizeof path)) {
        if (std::strlen(path) > 107)
            bad(s.get("socket_path"), "'listener.socket_path' is longer than 107 bytes (the "
                                      "Unix socket path limit)");
        std::snprintf(cfg->socket_path, sizeof cfg->socket_path, "%s", path);
    }
    if (s.get_int("max_connections", 1, PSH_SERVICE_CONNECTIONS_MAX, &v))
        cfg->max_connections = static_cast<unsigned>(v);
}

void read_authenticator(const toml::table &root, psh_service_config *cfg)
{
    Section s = Section{root, ""}.sub_table("authenticator", true);
    s.warn_unknown(cfg, {"auth_type", "admins", "workload_endpoint"});
    char type[32];
    s.require("auth_type");
    s.get_string("auth_type", type, sizeof type);
    if (std::strcmp(type, "Direct") == 0)
        cfg->engine.auth_type = PSH_AUTH_DIRECT;
    else if (std::strcmp(type, "UnixPeerCredentials") == 0)
        cfg->engine.auth_type = PSH_AUTH_UNIX_PEER_CREDENTIALS;
    else if (std::strcmp(type, "JwtSvid") == 0)
        fail(PSH_ERR_PSA_NOT_SUPPORTED, s.get("auth_type"),
             "'authenticator.auth_type' \"JwtSvid\" is not supported by this service (use "
             "\"UnixPeerCredentials\" or \"Direct\")");
    else
        bad(s.get("auth_type"), "'authenticator.auth_type' must be \"UnixPeerCredentials\" or "
                                "\"Direct\"");
    if (s.get("workload_endpoint") != nullptr)
        psh_service_config_warn(cfg, "'authenticator.workload_endpoint' ignored (only used by "
                                     "JwtSvid)");
    const toml::node *admins = s.get("admins");
    if (admins == nullptr)
        return;
    if (!admins->is_array())
        bad(admins, "'authenticator.admins' must be an array of { name = \"...\" }");
    const toml::array &arr = *admins->as_array();
    if (arr.size() > PSH_MAX_ADMINS)
        bad(admins, "'authenticator.admins' has more than " + std::to_string(PSH_MAX_ADMINS) +
                        " entries");
    for (size_t i = 0; i < arr.size(); i++) {
        std::string where = "authenticator.admins[" + std::to_string(i) + "]";
        if (!arr[i].is_table())
            bad(&arr[i], q(where) + " must be a table { name = \"...\" }");
        Section a{*arr[i].as_table(), where};
        a.warn_unknown(cfg, {"name"});
        a.require("name");
        a.get_string("name", cfg->engine.admins[i], sizeof cfg->engine.admins[i]);
        cfg->engine.admin_count = i + 1;
    }
}

struct KeyManager {
    std::string name;
    std::string path;
    bool used = false;
};

const toml::array *array_of_tables(const toml::table &root, const char *key)
{
    const toml::node *n = root.get(key);
    if (n == nullptr)
        return nullptr;
    if (!n->is_array_of_tables())
        bad(n, q(key) + " must be an array of tables ([[" + key + "]])");
    return n->as_array();
}

std::vector<KeyManager> read_key_managers(const toml::table &root, psh_service_config *cfg)
{
    std::vector<KeyManager> out;
    const toml::array *arr = array_of_tables(root, "key_manager");
    if (arr == nullptr)
        return out;
    for (size_t i = 0; i < arr->size(); i++) {
        Section s{*(*arr)[i].as_table(), "key_manager[" + std::to_string(i) + "]"};
        s.warn_unknown(cfg, {"name", "manager_type", "store_path", "sqlite_db_path"});
        char name[PSH_NAME_MAX], type[32], path[PSH_PATH_MAX] = PSH_SERVICE_DEFAULT_KIM;
        s.require("name");
        s.get_string("name", name, sizeof name);
        s.require("manager_type");
        s.get_string("manager_type", type, sizeof type);
        if (std::strcmp(type, "OnDisk") == 0)
            fail(PSH_ERR_PSA_NOT_SUPPORTED, s.get("manager_type"),
                 q(s.path("manager_type")) + " \"OnDisk\" is not supported (use \"SQLite\")");
        if (std::strcmp(type, "SQLite") != 0)
            bad(s.get("manager_type"), q(s.path("manager_type")) + " must be \"SQLite\"");
        // The reference reads only sqlite_db_path; its shipped example writes store_path
        // (spec pitfall 11). Accept both, sqlite_db_path winning.
        bool has_db = s.get_string("sqlite_db_path", path, sizeof path);
        char store[PSH_PATH_MAX];
        if (s.get_string("store_path", store, sizeof store)) {
            if (has_db)
                psh_service_config_warn(cfg, "'%s' ignored: 'sqlite_db_path' is set",
                                        s.path("store_path").c_str());
            else
                std::snprintf(path, sizeof path, "%s", store);
        }
        for (const KeyManager &km : out)
            if (km.name == name)
                bad(s.get("name"), "duplicate key manager name \"" + km.name + "\"");
        out.push_back(KeyManager{name, path, false});
    }
    return out;
}

psh_provider_id provider_type(const Section &s)
{
    char type[32];
    s.require("provider_type");
    s.get_string("provider_type", type, sizeof type);
    if (std::strcmp(type, "MbedCrypto") == 0)
        return PSH_PROVIDER_MBED_CRYPTO;
    if (std::strcmp(type, "Pkcs11") == 0)
        return PSH_PROVIDER_PKCS11;
    if (std::strcmp(type, "Tpm") == 0)
        return PSH_PROVIDER_TPM;
    if (std::strcmp(type, "CryptoAuthLib") == 0 || std::strcmp(type, "TrustedService") == 0)
        fail(PSH_ERR_PSA_NOT_SUPPORTED, s.get("provider_type"),
             q(s.path("provider_type")) + " \"" + type + "\" is not supported by this service");
    bad(s.get("provider_type"), q(s.path("provider_type")) +
                                    " must be \"MbedCrypto\", \"Pkcs11\" or \"Tpm\"");
}

void read_pkcs11(const Section &s, psh_provider_config *p, psh_service_config *cfg)
{
    s.warn_unknown(cfg, {"provider_type", "key_info_manager", "name", "library_path",
                         "serial_number", "slot_number", "user_pin",
                         "software_public_operations", "allow_export", "token_label"});
    s.require("library_path");
    s.get_string("library_path", p->library_path, sizeof p->library_path);
    s.get_string("serial_number", p->serial_number, sizeof p->serial_number);
    s.get_string("token_label", p->token_label, sizeof p->token_label);
    int64_t slot = 0;
    if (s.get_int("slot_number", 0, INT64_MAX, &slot)) {
        p->has_slot_number = 1;
        p->slot_number = static_cast<uint64_t>(slot);
    }
    if (s.get_secret("user_pin", p->user_pin, sizeof p->user_pin, &p->user_pin_len))
        p->has_user_pin = 1;
    s.get_bool("software_public_operations", &p->software_public_operations);
    s.get_bool("allow_export", &p->allow_export);
}

void read_tpm(const Section &s, psh_provider_config *p, psh_service_config *cfg)
{
    s.warn_unknown(cfg, {"provider_type", "key_info_manager", "name", "tcti",
                         "owner_hierarchy_auth", "endorsement_hierarchy_auth",
                         "skip_if_no_tpm"});
    s.require("tcti");
    s.get_string("tcti", p->tcti, sizeof p->tcti);
    // Required like the reference (may be ""): a missing key is a config mistake.
    s.require("owner_hierarchy_auth");
    s.get_secret("owner_hierarchy_auth", p->owner_hierarchy_auth,
                 sizeof p->owner_hierarchy_auth, &p->owner_hierarchy_auth_len);
    if (s.get_secret("endorsement_hierarchy_auth", p->endorsement_hierarchy_auth,
                     sizeof p->endorsement_hierarchy_auth, &p->endorsement_hierarchy_auth_len))
        p->has_endorsement_hierarchy_auth = 1;
    s.get_bool("skip_if_no_tpm", &p->skip_if_no_tpm);
}

void read_providers(const toml::table &root, psh_service_config *cfg,
                    std::vector<KeyManager> &kms)
{
    const toml::array *arr = array_of_tables(root, "provider");
    if (arr == nullptr || arr->empty())
        bad(&root, "no [[provider]] configured (at least one is required)");
    if (arr->size() > PSH_MAX_PROVIDERS)
        bad(arr, "more than " + std::to_string(PSH_MAX_PROVIDERS) + " [[provider]] entries");
    const KeyManager *kim = nullptr;
    for (size_t i = 0; i < arr->size(); i++) {
        Section s{*(*arr)[i].as_table(), "provider[" + std::to_string(i) + "]"};
        psh_provider_id type = provider_type(s);
        psh_provider_config *p = &cfg->engine.providers[i];
        psh_provider_config_init(p, type);
        s.get_string("name", p->name, sizeof p->name);
        if (type == PSH_PROVIDER_PKCS11)
            read_pkcs11(s, p, cfg);
        else if (type == PSH_PROVIDER_TPM)
            read_tpm(s, p, cfg);
        else
            s.warn_unknown(cfg, {"provider_type", "key_info_manager", "name"});
        for (size_t j = 0; j < i; j++) {
            if (std::strcmp(cfg->engine.providers[j].name, p->name) == 0)
                bad(s.get("name") ? s.get("name") : &s.t,
                    "duplicate provider name \"" + std::string(p->name) + "\" in " +
                        q(s.path("name")));
            // Wire provider ids are per type (spec pitfall 8): a second one is unreachable.
            if (cfg->engine.providers[j].type == type)
                bad(s.get("provider_type"), q(s.path("provider_type")) +
                                                ": only one provider of each type is supported");
        }
        char kim_name[PSH_NAME_MAX];
        s.require("key_info_manager");
        s.get_string("key_info_manager", kim_name, sizeof kim_name);
        KeyManager *found = nullptr;
        for (KeyManager &km : kms)
            if (km.name == kim_name)
                found = &km;
        if (found == nullptr)
            bad(s.get("key_info_manager"), q(s.path("key_info_manager")) + " names \"" +
                                               kim_name + "\", which no [[key_manager]] defines");
        if (kim != nullptr && kim != found)
            bad(s.get("key_info_manager"),
                q(s.path("key_info_manager")) + " is \"" + kim_name +
                    "\" but all providers must share one key manager (the first uses \"" +
                    kim->name + "\")");
        kim = found;
        found->used = true;
        cfg->engine.provider_count = i + 1;
    }
    if (kim->path.size() >= sizeof cfg->engine.kim_path)
        bad(&root, "key manager path is too long"); // cannot happen: read into a PATH_MAX field
    std::snprintf(cfg->engine.kim_path, sizeof cfg->engine.kim_path, "%s", kim->path.c_str());
    for (const KeyManager &km : kms)
        if (!km.used)
            psh_service_config_warn(cfg, "key manager \"%s\" is not used by any provider",
                                    km.name.c_str());
}

// toml++ keeps its own copies of PIN and auth strings; overwrite them before the tree dies.
struct SecretScrubber {
    toml::table *root = nullptr;
    ~SecretScrubber()
    {
        if (root == nullptr)
            return;
        toml::array *arr = (*root)["provider"].as_array();
        if (arr == nullptr)
            return;
        for (toml::node &n : *arr) {
            toml::table *t = n.as_table();
            if (t == nullptr)
                continue;
            for (const char *k : {"user_pin", "owner_hierarchy_auth",
                                  "endorsement_hierarchy_auth"}) {
                toml::value<std::string> *v = (*t)[k].as_string();
                if (v != nullptr && !v->get().empty())
                    psh_zeroize(&v->get()[0], v->get().size());
            }
        }
    }
};

void parse(std::string_view text, psh_service_config *cfg)
{
#if TOML_EXCEPTIONS
    toml::table root;
    try {
        root = toml::parse(text);
    } catch (const toml::parse_error &e) {
        throw Fail{PSH_ERR_INVALID_ENCODING,
                   "TOML syntax error at line " + std::to_string(e.source().begin.line) + ": " +
                       std::string(e.description())};
    }
#else
    toml::parse_result res = toml::parse(text);
    if (!res)
        throw Fail{PSH_ERR_INVALID_ENCODING,
                   "TOML syntax error at line " + std::to_string(res.error().source().begin.line) +
                       ": " + std::string(res.error().description())};
    toml::table root = std::move(res).table();
#endif
    SecretScrubber scrub;
    scrub.root = &root;
    Section{root, ""}.warn_unknown(
        cfg, {"core_settings", "listener", "authenticator", "key_manager", "provider"});
    read_core_settings(root, cfg);
    read_listener(root, cfg);
    read_authenticator(root, cfg);
    std::vector<KeyManager> kms = read_key_managers(root, cfg);
    read_providers(root, cfg, kms);
}

} // namespace

extern "C" psh_status psh_service_config_parse(const char *text, size_t len,
                                               psh_service_config *out, char *err,
                                               size_t err_size)
{
    psh_status status = PSH_ERR_CORRUPTION;
    char local_err[8];
    if (err == nullptr || err_size == 0) {
        err = local_err;
        err_size = sizeof local_err;
    }
    err[0] = '\0';
    psh_service_config_init(out);
    // The handlers only snprintf: nothing in them can throw again.
    try {
        parse(std::string_view(text != nullptr ? text : "", text != nullptr ? len : 0), out);
        status = PSH_SUCCESS;
    } catch (const Fail &f) {
        status = f.status;
        std::snprintf(err, err_size, "%s", f.msg.c_str());
    } catch (const std::bad_alloc &) {
        status = PSH_ERR_PSA_INSUFFICIENT_MEMORY;
        std::snprintf(err, err_size, "out of memory while parsing the configuration");
    } catch (const std::exception &e) {
        status = PSH_ERR_INVALID_ENCODING;
        std::snprintf(err, err_size, "configuration error: %s", e.what());
    } catch (...) {
        status = PSH_ERR_INVALID_ENCODING;
        std::snprintf(err, err_size, "configuration error");
    }
    if (status != PSH_SUCCESS) {
        // No half-filled config: secrets wiped, everything back to defaults.
        psh_service_config_wipe(out);
        psh_service_config_init(out);
        LOG_DEBUG("config rejected: %s", err);
    }
    return status;
}
