// elasticsearch.yml: flat and nested keys, lists in both forms, and the
// exact FILE:LINE of every refusal.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "eslaunch/es_config.hpp"

namespace eslaunch {
namespace {

using ::testing::ElementsAre;

constexpr const char* yml = "/etc/es/elasticsearch.yml";

EsSettings parse_ok(std::string_view text) {
    auto s = parse_es_settings(text, yml);
    if (!s) {
        ADD_FAILURE() << s.error().front().str();
        return {};
    }
    return std::move(*s);
}

TEST(EsConfig, FlatAndNestedKeysAreTheSameSettings) {
    const EsSettings flat = parse_ok(
        "# a comment\n"
        "cluster.name: prod\n"
        "node.master: true\n"
        "node.data: false\n"
        "http.port: 9201\n"
        "discovery.zen.minimum_master_nodes: 2\n");
    const EsSettings nested = parse_ok(
        "cluster:\n"
        "  name: prod\n"
        "node:\n"
        "  master: true\n"
        "  data: false\n"
        "http: {port: 9201}\n"
        "discovery:\n"
        "  zen.minimum_master_nodes: 2\n");
    for (const EsSettings* s : {&flat, &nested}) {
        EXPECT_EQ(s->get("cluster.name"), "prod");
        EXPECT_EQ(s->get("node.master"), "true");
        EXPECT_EQ(s->get("node.data"), "false");
        EXPECT_EQ(s->get("http.port"), "9201");
        EXPECT_EQ(s->get("discovery.zen.minimum_master_nodes"), "2");
        EXPECT_EQ(s->get("node.name"), std::nullopt);
        EXPECT_FALSE(s->has("node"));
        EXPECT_EQ(s->all().size(), 5U);
    }
    // Each setting keeps the line of its own key.
    EXPECT_EQ(flat.line_of("node.data"), 4);
    EXPECT_EQ(nested.line_of("node.data"), 5);
    EXPECT_EQ(nested.line_of("discovery.zen.minimum_master_nodes"), 8);
    EXPECT_EQ(nested.where("http.port"), "/etc/es/elasticsearch.yml:6");
    EXPECT_EQ(nested.where("node.name"), "/etc/es/elasticsearch.yml");
    EXPECT_EQ(nested.line_of("node.name"), 0);
}

TEST(EsConfig, ListsInEveryForm) {
    const EsSettings s = parse_ok(
        "discovery.seed_hosts:\n"
        "  - 10.0.0.1\n"
        "  - \"10.0.0.2:9300\"\n"
        "cluster.initial_master_nodes: [\"m1\", m2]\n"
        "discovery.zen.ping.unicast.hosts: \"a, b,,c \"\n"
        "node.roles: []\n"
        "network.host: _site_\n");
    EXPECT_THAT(s.list("discovery.seed_hosts"), ElementsAre("10.0.0.1", "10.0.0.2:9300"));
    EXPECT_THAT(s.list("cluster.initial_master_nodes"), ElementsAre("m1", "m2"));
    EXPECT_THAT(s.list("discovery.zen.ping.unicast.hosts"), ElementsAre("a", "b", "c"));
    EXPECT_THAT(s.list("network.host"), ElementsAre("_site_"));
    EXPECT_TRUE(s.has("node.roles"));  // an empty list is set: a coordinating-only node
    EXPECT_TRUE(s.list("node.roles").empty());
    EXPECT_TRUE(s.all().at("node.roles").is_list);
    EXPECT_FALSE(s.all().at("network.host").is_list);
    EXPECT_EQ(s.get("cluster.initial_master_nodes"), "m1,m2");
    EXPECT_TRUE(s.list("path.data").empty());
    EXPECT_EQ(s.line_of("cluster.initial_master_nodes"), 4);
}

TEST(EsConfig, ValuesStayAsWrittenAndNullIsUnset) {
    const EsSettings s = parse_ok(
        "node.name: ${HOSTNAME}\n"
        "a: 'quoted: yes'\n"
        "b: \"null\"\n"
        "c:\n"
        "d: ~\n"
        "e: &port 9300\n"
        "f: *port\n"
        "g: 1.10\n");
    EXPECT_EQ(s.get("node.name"), "${HOSTNAME}");
    EXPECT_EQ(s.get("a"), "quoted: yes");
    EXPECT_EQ(s.get("b"), "null");
    EXPECT_FALSE(s.has("c"));
    EXPECT_FALSE(s.has("d"));
    EXPECT_EQ(s.get("f"), "9300");
    EXPECT_EQ(s.get("g"), "1.10");  // as written, not as a number
}

TEST(EsConfig, EmptyAndCommentOnlyFiles) {
    EXPECT_TRUE(parse_ok("").all().empty());
    EXPECT_TRUE(parse_ok("# nothing here\n\n").all().empty());
    EXPECT_TRUE(parse_ok("---\n").all().empty());
}

TEST(EsConfig, RefusalsNameFileAndLine) {
    struct Case {
        std::string_view text;
        std::string error;  // the first error, as printed
    };
    const std::vector<Case> cases = {
        {"a: [1\nb: 2\n",
         "/etc/es/elasticsearch.yml:2: YAML: end of sequence flow not found; Elasticsearch refuses the file too; fix "
         "the syntax"},
        {"a: 1\n  b: 2\n",
         "/etc/es/elasticsearch.yml:2: YAML: illegal map value; Elasticsearch refuses the file too; fix the syntax"},
        {"node.master: true\nnode:\n  data: true\n  master: false\n",
         "/etc/es/elasticsearch.yml:4: 'node.master' is set twice, on lines 1 and 4; keep one: Elasticsearch 5.0 and "
         "later refuse duplicate keys (also `a.b` beside `a: {b: ...}`), 2.x keeps one silently"},
        {"http.port: 9200\nhttp.port: 9201\n",
         "/etc/es/elasticsearch.yml:2: 'http.port' is set twice, on lines 1 and 2; keep one: Elasticsearch 5.0 and "
         "later refuse duplicate keys (also `a.b` beside `a: {b: ...}`), 2.x keeps one silently"},
        {"- a\n- b\n",
         "/etc/es/elasticsearch.yml:1: the file is not a mapping of settings; write one setting per line, `name: "
         "value` (e.g. `cluster.name: prod`)"},
        {"just text\n",
         "/etc/es/elasticsearch.yml:1: the file is not a mapping of settings; write one setting per line, `name: "
         "value` (e.g. `cluster.name: prod`)"},
        {"ok: 1\n? [a, b]\n: 3\n",
         "/etc/es/elasticsearch.yml:2: a key that is not text; write settings as `name: value`"},
        {"discovery.seed_hosts:\n  - host: a\n",
         "/etc/es/elasticsearch.yml:2: discovery.seed_hosts: a list item that is not a value; Elasticsearch settings "
         "take lists of values, e.g. [\"10.0.0.1\", \"10.0.0.2\"]"},
    };
    for (const auto& c : cases) {
        auto s = parse_es_settings(c.text, yml);
        ASSERT_FALSE(s) << c.text;
        EXPECT_EQ(s.error().front().str(), c.error) << c.text;
        EXPECT_EQ(s.error().front().status, 78);
    }
    // Every problem is reported, not only the first.
    auto two = parse_es_settings("a: 1\na: 2\nb: [x]\nb: y\n", yml);
    ASSERT_FALSE(two);
    ASSERT_EQ(two.error().size(), 2U);
    EXPECT_EQ(two.error()[1].line, 4);
}

TEST(EsConfig, ReadsFiles) {
    char tmpl[] = "/tmp/eslaunch-es-config.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    const std::filesystem::path dir = tmpl;
    std::ofstream(dir / "elasticsearch.yml") << "cluster.name: from-file\nhttp:\n  port: 9205\n";
    auto s = read_es_settings((dir / "elasticsearch.yml").string());
    ASSERT_TRUE(s) << s.error().front().str();
    EXPECT_EQ(s->get("http.port"), "9205");
    EXPECT_EQ(s->file, (dir / "elasticsearch.yml").string());
    EXPECT_EQ(s->where("http.port"), (dir / "elasticsearch.yml").string() + ":3");

    auto missing = read_es_settings((dir / "nope.yml").string());
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().front().str(), (dir / "nope.yml").string() +
                                                 ": cannot open: No such file or directory; check the path, or "
                                                 "es_path_conf= in the spec");
    auto directory = read_es_settings(dir.string());
    ASSERT_FALSE(directory);
    EXPECT_EQ(directory.error().front().what, "not a regular file");
    std::ofstream(dir / "big.yml") << std::string(1024 * 1024 + 1, '#');
    auto big = read_es_settings((dir / "big.yml").string());
    ASSERT_FALSE(big);
    EXPECT_EQ(big.error().front().what, "file is 1048577 bytes, over the limit of 1048576 (1 MiB)");
    std::filesystem::remove_all(dir);
}

TEST(EsConfig, CommandLineSettingsWin) {
    EsSettings s = parse_ok("http.port: 9200\npath.data: /var/lib/es\n");
    const std::vector<std::string> argv = {"/opt/es/bin/elasticsearch", "-Ehttp.port=9201", "-E", "node.name=n1",
                                           "-d", "-p", "/run/es.pid", "-Des.path.logs=/var/log/es",
                                           "--cluster.name", "c1", "--network.host=10.0.0.1", "--verbose", "-E"};
    EXPECT_THAT(apply_command_line_settings(s, argv),
                ElementsAre("http.port", "node.name", "path.logs", "cluster.name", "network.host"));
    EXPECT_EQ(s.get("http.port"), "9201");
    EXPECT_EQ(s.where("http.port"), "command= (-Ehttp.port=9201)");
    EXPECT_EQ(s.line_of("http.port"), 0);
    EXPECT_EQ(s.get("node.name"), "n1");
    EXPECT_EQ(s.where("node.name"), "command= (-E node.name=n1)");
    EXPECT_EQ(s.get("path.logs"), "/var/log/es");
    EXPECT_EQ(s.get("cluster.name"), "c1");
    EXPECT_EQ(s.get("network.host"), "10.0.0.1");
    EXPECT_EQ(s.get("path.data"), "/var/lib/es");
    EXPECT_EQ(s.line_of("path.data"), 2);
}

}  // namespace
}  // namespace eslaunch
