// Internal to the library: the names Elasticsearch and OpenSearch give the
// same things. OpenSearch forked 7.10.2 and renamed its scripts, variables
// and settings; what eslaunch says and reads follows the node's own.
#pragma once

#include <string_view>

namespace eslaunch {

struct ProductNames {
    std::string_view name;             // in sentences: "Elasticsearch"
    std::string_view vendor;           // whose packages: "Elastic's"
    std::string_view script;           // bin/SCRIPT, its process and file names: "elasticsearch"
    std::string_view java_opts;        // the variable the heap is passed last in
    std::string_view enforce;          // the system property that forces the bootstrap checks
    std::string_view path_conf;        // the configuration directory's variable
    std::string_view java_home;        // the variable that names the java to run
    std::string_view tls_key;          // the setting that makes HTTP speak TLS
    std::string_view passphrase_file;  // what the packages' systemd-entrypoint puts on stdin
};

inline constexpr ProductNames elasticsearch_names{
    "Elasticsearch",        "Elastic's",     "elasticsearch", "ES_JAVA_OPTS", "-Des.enforce.bootstrap.checks=true",
    "ES_PATH_CONF",         "ES_JAVA_HOME",  "xpack.security.http.ssl.enabled", "ES_KEYSTORE_PASSPHRASE_FILE"};
inline constexpr ProductNames opensearch_names{
    "OpenSearch",           "OpenSearch's",  "opensearch", "OPENSEARCH_JAVA_OPTS",
    "-Dopensearch.enforce.bootstrap.checks=true", "OPENSEARCH_PATH_CONF", "OPENSEARCH_JAVA_HOME",
    "plugins.security.ssl.http.enabled", "OPENSEARCH_KEYSTORE_PASSPHRASE_FILE"};

[[nodiscard]] inline const ProductNames& product_names(bool opensearch) {
    return opensearch ? opensearch_names : elasticsearch_names;
}

}  // namespace eslaunch
